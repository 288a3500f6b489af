"""The session's configuration: defaults, merging `session.update`s, and checking what the engine can do."""

from __future__ import annotations

from typing import NamedTuple

from model.events import DEFAULT_SAMPLE_RATE, ErrorEvent, SessionConfig, SessionUpdate, TurnDetection, error_event


def default_config(voice: str) -> SessionConfig:
    """What a session uses for every field the client leaves out."""
    return SessionConfig(
        modalities=["text", "audio"],
        voice=voice,
        speed=1.0,
        language="auto",
        input_audio_format="pcm16",
        output_audio_format="pcm16",
        turn_detection=TurnDetection(),
        input_sample_rate=DEFAULT_SAMPLE_RATE,
        output_sample_rate=DEFAULT_SAMPLE_RATE,
    )


def merge_config(current: SessionConfig, update: SessionConfig) -> SessionConfig:
    """`current` with the fields the update sets. Validated as a whole (not `model_copy`), so nested
    objects such as turn_detection stay typed."""
    merged = {**current.model_dump(exclude_none=True), **update.model_dump(exclude_unset=True, exclude_none=True)}
    return SessionConfig.model_validate(merged)


def check_update(
    update: SessionConfig,
    voice_ids: list[str],
    event_id: str | None = None,
    consequence: str = "Nothing in this update was applied.",
) -> ErrorEvent | None:
    """An error naming what this engine cannot honour in the update, or None when all of it applies."""
    if update.voice is not None and update.voice not in voice_ids:
        return error_event(
            f"Unknown voice `{update.voice}`; this engine has: {', '.join(voice_ids)}. {consequence}",
            code="unknown_voice",
            param="session.voice",
            event_id=event_id,
        )
    return None


def opening_config(config: SessionConfig, voice_ids: list[str]) -> tuple[SessionConfig, ErrorEvent | None]:
    """A new session's config: the defaults with the client's fields, and an error when its voice is unknown
    (the rest of the client's config is kept; only the unusable voice falls back to the default)."""
    defaults = default_config(voice_ids[0] if voice_ids else "jf_alpha")
    problem = check_update(config, voice_ids, consequence=f"Speaking with `{defaults.voice}`.")
    if problem is None:
        return merge_config(defaults, config), None
    return merge_config(defaults, config.model_copy(update={"voice": None})), problem


def apply_update(
    current: SessionConfig, event: SessionUpdate, voice_ids: list[str]
) -> tuple[SessionConfig | None, ErrorEvent | None]:
    """(the config after `event`, or None when none of it applies; an error to send, or None).

    The brain is chosen when a session opens (the engine loads it then): a different one is refused
    with an error while the rest of the update applies."""
    problem = check_update(event.session, voice_ids, event.event_id)
    if problem is not None:
        return None, problem
    update = event.session
    if update.brain is None or update.brain == current.brain:
        return merge_config(current, update), None
    refused = error_event(
        f"The brain is chosen when a session opens: this one talks with `{current.brain}`. "
        f"Open a new session with `brain: {update.brain}` for another; the rest of this update applied.",
        code="brain_fixed_for_session",
        param="session.brain",
        event_id=event.event_id,
    )
    return merge_config(current, update.model_copy(update={"brain": None})), refused


class ListeningSettings(NamedTuple):
    """What the session's listening side runs with."""

    detection: TurnDetection
    input_rate: int  # the client's sample rate
    asr_language: str  # "en", "zh" or "auto"


def listening_settings(config: SessionConfig) -> ListeningSettings:
    """Turn detection, the client's sample rate and the ASR language, from the session config."""
    language = config.language if config.language in ("en", "zh") else "auto"
    return ListeningSettings(
        config.turn_detection or TurnDetection(), config.input_sample_rate or DEFAULT_SAMPLE_RATE, language
    )
