"""Records a /v1/realtime conversation like a Live-panel one: versions, engine, turns and both sides' audio.

It watches the events going both ways and hands them to the Live panel's `ConversationRecorder`, so a
conversation held through the endpoint shows up in the history with the persona and scene versions
and the engine it ran on. Recording is best effort: a failure is logged, the conversation goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from model.events import (
    DEFAULT_SAMPLE_RATE,
    ClientEvent,
    ConversationItemCreate,
    InputAudioBufferAppend,
    InputTranscriptionCompleted,
    ResponseAudioDelta,
    ResponseAudioTranscriptDelta,
    ResponseDone,
    ServerEvent,
    SessionUpdate,
    decode_pcm16,
)

log = logging.getLogger(__name__)


class RealtimeRecording:
    """Feeds one connection's events to a ConversationRecorder (stepaudio_ui.live_session)."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self.conversation_id: int = recorder.conversation_id
        # the WAV files are opened at the session's rates; audio at another rate is left out, not garbled
        self._wav_rates = (DEFAULT_SAMPLE_RATE, DEFAULT_SAMPLE_RATE)
        self._rates = self._wav_rates
        self._reply_text: list[str] = []

    @classmethod
    async def start(cls, ctx: Any, resolved: Any, brain: dict[str, Any] | None = None) -> RealtimeRecording | None:
        from stepaudio_ui.live_session import ConversationRecorder

        try:
            recorder = await ConversationRecorder.start(ctx.db, ctx.settings.data_dir, resolved, brain)
        except Exception:  # noqa: BLE001 - no record is better than no conversation
            log.exception("could not start recording a /v1/realtime conversation")
            return None
        recording = cls(recorder)
        config = resolved.config
        recording._wav_rates = (
            config.input_sample_rate or DEFAULT_SAMPLE_RATE,
            config.output_sample_rate or DEFAULT_SAMPLE_RATE,
        )
        recording._rates = recording._wav_rates
        return recording

    async def client_event(self, event: ClientEvent) -> None:
        if isinstance(event, InputAudioBufferAppend):
            if self._rates[0] == self._wav_rates[0]:
                try:
                    self.recorder.write_user_audio(decode_pcm16(event.audio))
                except ValueError:
                    pass  # the engine reports bad audio to the client; nothing to record
        elif isinstance(event, SessionUpdate):
            session = event.session
            self._rates = (session.input_sample_rate or self._rates[0], session.output_sample_rate or self._rates[1])
        elif isinstance(event, ConversationItemCreate) and event.item.role == "user":
            text = " ".join(part.text or "" for part in event.item.content)
            await self.recorder.add_turn(role="user", text=text)

    async def server_event(self, event: ServerEvent) -> None:
        if isinstance(event, ResponseAudioDelta):
            if self._rates[1] == self._wav_rates[1]:
                self.recorder.write_persona_audio(decode_pcm16(event.delta))
        elif isinstance(event, ResponseAudioTranscriptDelta):
            self._reply_text.append(event.delta)
        elif isinstance(event, InputTranscriptionCompleted):
            await self.recorder.add_turn(role="user", text=event.transcript)
        elif isinstance(event, ResponseDone):
            text, self._reply_text = "".join(self._reply_text), []
            await self.recorder.add_turn(
                role="assistant",
                text=text,
                interrupted=event.response.status == "cancelled",
                timings=event.response.timings,
            )

    async def finish(self, reason: str) -> None:
        await self.recorder.finish(reason)
