"""The session's configuration: defaults, merging `session.update`s, and checking what the engine can do."""

from __future__ import annotations

from model.events import DEFAULT_SAMPLE_RATE, ErrorEvent, SessionConfig, TurnDetection, error_event


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
