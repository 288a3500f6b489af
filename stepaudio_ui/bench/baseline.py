"""The obvious alternative, run beside ours: fastrtc's own `ReplyOnPause`, written as its users write it.

A fastrtc app answers speech with `ReplyOnPause(reply)`, where `reply(audio)` transcribes the whole turn,
asks the chat model for the whole reply and speaks the whole of it. Here it gets the same parts as the
embedded engine: the same Silero VAD (fastrtc's own VAD code over our Silero v6 graph, since fastrtc would
download its model), the same Whisper, the same chat model with the same prompt and history and the same
sentence limit, the same voice. It is fed the same audio at real-time pace, 20 ms frames at 48 kHz as a
WebRTC track hands them over, and its reply is "played" at real time before the next question.

Two things are kinder to it than a real fastrtc server: its emit loop sleeps 10 ms when idle (stock
fastrtc polls without pause, ~80% of a core per connection, see the stack notes), and nothing else is
sent while it works. Its stage marks (pause detected, transcript, whole reply, whole speech) are kept for
the report.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from fastrtc import ReplyOnPause
from fastrtc.pause_detection.silero import SileroVADModel, SileroVadOptions

from model.audio import float_to_int16, int16_to_float, resample
from model.embedded.reply.history import ConversationHistory
from model.embedded.reply.prompts import SessionPrompts
from model.embedded.shared import SharedModels
from model.embedded.speak.phrase_text import ends_sentence, join_phrases
from model.embedded.speak.phrases import PhraseSplitter, detect_language
from model.events import SessionConfig, now_ms
from model.turn.vad import CONTEXT_SAMPLES, SileroVadModel
from stepaudio_ui.bench.engine_turns import AFTER_REPLY_MS, CHUNK_MS, LEAD_SILENCE_MS, TURN_TIMEOUT_S, MicrophonePace
from stepaudio_ui.bench.utterances import SAMPLE_RATE, Utterance, trim_silence

logger = logging.getLogger(__name__)

INPUT_RATE = 48_000  # what fastrtc hands a handler by default (its `input_sample_rate`)
ASR_RATE = 16_000
IDLE_POLL_S = 0.01


class SileroPauseModel(SileroVADModel):
    """fastrtc's Silero pause detection (its `get_speech_timestamps`, thresholds and padding) run on our
    packaged Silero v6 graph: v6 wants 512-sample windows with 64 samples of context and (h, c) state."""

    def __init__(self, vad_model: SileroVadModel) -> None:  # no super().__init__(): it downloads a model
        self.session = vad_model.session

    def get_initial_state(self, batch_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        zeros = np.zeros((1, batch_size, 128), dtype=np.float32)
        return zeros, zeros.copy(), np.zeros((batch_size, CONTEXT_SAMPLES), dtype=np.float32)

    def __call__(self, x: np.ndarray, state: tuple, sr: int) -> tuple[float, tuple]:  # type: ignore[override]
        h, c, context = state
        window = np.concatenate([context, np.asarray(x, dtype=np.float32).reshape(1, -1)], axis=1)
        output, h, c = self.session.run(None, {"input": window, "h": h, "c": c})
        return float(np.asarray(output).reshape(-1)[0]), (h, c, window[:, -CONTEXT_SAMPLES:])

    def vad(self, audio: tuple[int, np.ndarray], options: SileroVadOptions | None) -> tuple[float, list]:  # type: ignore[override]
        return super().vad(audio, options or SileroVadOptions(window_size_samples=512))

    def warmup(self) -> None:
        self.vad((ASR_RATE, np.zeros(ASR_RATE, dtype=np.float32)), None)


@dataclass
class BaselineTurn:
    """One turn of the baseline: the same figures as ours, on the same client clock (epoch ms)."""

    name: str
    transcript: str = ""
    reply: str = ""
    speech_end_ms: float | None = None
    decided_ms: float | None = None  # ReplyOnPause found the pause and called the reply function
    asr_done_ms: float | None = None
    reply_written_ms: float | None = None  # the chat model's whole reply
    speech_made_ms: float | None = None  # the voice's whole reply
    first_audio_ms: float | None = None
    audio_s: float = 0.0

    @property
    def eos_to_first_audio_ms(self) -> float | None:
        if self.first_audio_ms is None or self.speech_end_ms is None:
            return None
        return round(self.first_audio_ms - self.speech_end_ms, 1)

    def stages(self) -> dict[str, float | None]:
        marks = (self.speech_end_ms, self.decided_ms, self.asr_done_ms, self.reply_written_ms, self.first_audio_ms)
        names = ("pause_wait_ms", "asr_ms", "whole_reply_ms", "whole_speech_ms")
        return {
            name: None if a is None or b is None else round(b - a, 1)
            for name, a, b in zip(names, marks[:-1], marks[1:], strict=True)
        }


@dataclass
class _Reply:
    """The reply function a fastrtc user passes to `ReplyOnPause`, over our shared models."""

    shared: SharedModels
    config: SessionConfig
    language: str = "en"
    turn: BaselineTurn | None = None
    history: ConversationHistory | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def __call__(self, audio: tuple[int, np.ndarray]) -> Iterator[tuple[int, np.ndarray]]:
        turn = self.turn or BaselineTurn("unexpected")
        turn.decided_ms = now_ms()
        rate, samples = audio
        speech = resample(int16_to_float(np.asarray(samples).reshape(-1)), rate, ASR_RATE)
        models = self.shared.models
        turn.transcript = models.asr.transcribe(speech.astype(np.float32), self.language).text.strip()
        turn.asr_done_ms = now_ms()
        if not turn.transcript:
            return
        if self.history is None:
            self.history = ConversationHistory(self.shared.count_tokens, self.shared.context_tokens)
        prompts = SessionPrompts(self.shared, self.history)
        plan, messages = prompts.for_user_turn(self.config, user_text=turn.transcript, user_language=self.language)
        written = "".join(models.llm.stream_chat(messages, plan.options, self.cancel))
        turn.reply = _first_sentences(written, plan.max_sentences)  # the same length limit as ours
        turn.reply_written_ms = now_ms()
        spoken = models.tts.synthesize(
            turn.reply, voice=plan.voice, speed=plan.speed, language=detect_language(turn.reply)
        )
        turn.speech_made_ms = now_ms()
        self.history.add("user", turn.transcript)
        self.history.add("assistant", turn.reply)
        yield models.tts.sample_rate, float_to_int16(spoken).reshape(1, -1)


def _first_sentences(text: str, limit: int) -> str:
    """`text` cleaned for speech and cut after `limit` sentences, as the engine's replies are."""
    splitter = PhraseSplitter()
    kept: list[str] = []
    for phrase in splitter.feed(text) + splitter.flush():
        kept.append(phrase)
        if sum(1 for p in kept if ends_sentence(p)) >= limit:
            break
    return join_phrases(kept)


class BaselineConversation:
    """One `ReplyOnPause` conversation fed like a microphone, turn by turn (`open`, `turn`..., `close`)."""

    def __init__(self, shared: SharedModels, config: SessionConfig) -> None:
        self._reply = _Reply(shared, config)
        self._handler = ReplyOnPause(self._reply, model=SileroPauseModel(shared.models.vad_model))
        self._emitter: asyncio.Task[None] | None = None
        self._pace = MicrophonePace()
        self.turns: list[BaselineTurn] = []

    async def open(self) -> None:
        self._handler._loop = asyncio.get_running_loop()  # as fastrtc's WebRTC connection sets it
        self._handler._clear_queue = lambda: None  # nothing is queued for playback here

    async def close(self) -> None:
        self._reply.cancel.set()
        if self._emitter is not None:
            self._emitter.cancel()

    async def turn(self, utterance: Utterance) -> BaselineTurn:
        turn = BaselineTurn(utterance.name)
        self.turns.append(turn)
        self._reply.turn = turn
        self._reply.language = utterance.language if utterance.language in ("en", "zh") else "en"
        self._emitter = asyncio.create_task(self._emit(turn))
        speech = resample(trim_silence(utterance.audio), SAMPLE_RATE, INPUT_RATE)
        audio = np.concatenate([np.zeros(INPUT_RATE * LEAD_SILENCE_MS // 1000, dtype=np.float32), speech])
        step = INPUT_RATE * CHUNK_MS // 1000
        silence = np.zeros(step, dtype=np.float32)
        self._pace.restart()
        try:
            for begin in range(0, audio.size, step):
                await self._send(audio[begin : begin + step])
            turn.speech_end_ms = now_ms()
            deadline = time.monotonic() + TURN_TIMEOUT_S
            while time.monotonic() < deadline and not self._heard_out(turn):
                await self._send(silence)
        finally:
            self._emitter.cancel()
        return turn

    def _heard_out(self, turn: BaselineTurn) -> bool:
        if turn.asr_done_ms is not None and not turn.transcript:
            return True  # heard nothing: no reply comes
        if turn.first_audio_ms is None:
            return False
        return now_ms() >= turn.first_audio_ms + turn.audio_s * 1000 + AFTER_REPLY_MS

    async def _send(self, chunk: np.ndarray) -> None:
        await self._pace.next_chunk()
        frame = float_to_int16(chunk).reshape(1, -1)  # (channels, samples), as fastrtc's frames come
        await asyncio.to_thread(self._handler.receive, (INPUT_RATE, frame))

    async def _emit(self, turn: BaselineTurn) -> None:
        """fastrtc's player loop: ask the handler for output again and again (in a worker thread)."""
        loop = asyncio.get_running_loop()
        while True:
            output = await loop.run_in_executor(None, self._handler.emit)
            if isinstance(output, tuple) and len(output) == 2 and isinstance(output[1], np.ndarray):
                rate, samples = output
                if turn.first_audio_ms is None:
                    turn.first_audio_ms = now_ms()
                turn.audio_s += samples.size / rate
            else:
                await asyncio.sleep(IDLE_POLL_S)
