"""Step-Audio 2 mini (open weights, Apache-2.0) on a GPU, through the `step-audio2` package's reference code.

Optional: `pip install .[gpu]` brings `step-audio2` and torch; without them, or without CUDA, the engine
reports why in `availability()` and is never started. The pure parts (chat format, token layout,
resampling) are in model/step_audio2/parts.py and tested everywhere; finding and loading the weights is
model/step_audio2/weights.py.

Turn-taking uses our own VAD (model/turn/turn_taking.py); the voice is a reference clip from
`<voices_dir>/<voice>.wav` (the app's packaged clips), or one the studio stores (a custom voice, found with `clip_lookup`);
token2wav copies its timbre. The reference model is not streaming: a
turn is one `generate` call in a worker thread, then its audio goes out in 100 ms deltas.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.events import (
    DEFAULT_SAMPLE_RATE,
    ClientEvent,
    ConversationItem,
    ConversationItemCreate,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCommit,
    ResponseAudioDelta,
    ResponseAudioDone,
    ResponseAudioTranscriptDelta,
    ResponseAudioTranscriptDone,
    ResponseCancel,
    ResponseCreate,
    ResponseCreated,
    ResponseDone,
    ResponseInfo,
    ServerEvent,
    SessionConfig,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
    SpeechStarted,
    SpeechStopped,
    TurnDetection,
    error_event,
    new_id,
)
from model.internal_errors import internal_error_event
from model.protocol import Availability, VoiceInfo
from model.step_audio2.parts import (
    DEFAULT_GENERATION,
    DELTA_SECONDS,
    MODEL_INPUT_RATE,
    ClipLookup,
    HistoryTurn,
    build_messages,
    reference_clip,
    resample_pcm16,
    split_output_tokens,
    wav_bytes_to_pcm16,
    write_wav_16k,
)
from model.step_audio2.weights import LoadedModels, gpu_availability, load_models

log = logging.getLogger(__name__)


@dataclass
class _Conversation:
    history: list[HistoryTurn] = field(default_factory=list)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="step-audio2-")))


class StepAudio2Session:
    """One conversation: our VAD cuts turns, each turn is one generate call in a worker thread."""

    def __init__(
        self,
        models: LoadedModels,
        config: SessionConfig,
        voices_dir: Path | None = None,
        clip_lookup: ClipLookup | None = None,
    ) -> None:
        from model.turn.turn_taking import TurnTaker
        from model.turn.vad import SileroVadModel

        self._models = models
        self._config = config
        self._voices_dir = voices_dir
        self._clip_lookup = clip_lookup
        self._queue: asyncio.Queue[ServerEvent | None] = asyncio.Queue()
        self._turns = TurnTaker(SileroVadModel.load().new_stream(), None, config.turn_detection or TurnDetection())
        self._conversation = _Conversation()
        self._reply: asyncio.Task[None] | None = None
        self._closed = False
        self._queue.put_nowait(SessionCreated(session=config))

    @property
    def _in_rate(self) -> int:
        return self._config.input_sample_rate or DEFAULT_SAMPLE_RATE

    @property
    def _out_rate(self) -> int:
        return self._config.output_sample_rate or DEFAULT_SAMPLE_RATE

    async def send(self, event: ClientEvent) -> None:
        if self._closed:
            await self._queue.put(error_event("this session is closed: start a new one", code="session_closed"))
        elif isinstance(event, SessionUpdate):
            update = event.session.model_dump(exclude_unset=True)
            self._config = self._config.model_copy(update=update)
            if event.session.turn_detection is not None:
                self._turns.configure(event.session.turn_detection)
            await self._queue.put(SessionUpdated(session=self._config))
        elif isinstance(event, InputAudioBufferAppend):
            await self._on_audio(event)
        elif isinstance(event, InputAudioBufferCommit):
            end = self._turns.commit()
            if end is not None:
                self._start_reply(HistoryTurn("human", audio_path=self._save_turn(end.audio_16k)))
        elif isinstance(event, InputAudioBufferClear):
            self._turns.clear()
        elif isinstance(event, ConversationItemCreate):
            self._on_item(event.item)
        elif isinstance(event, ResponseCreate):
            self._start_reply(None)
        elif isinstance(event, ResponseCancel):
            self._cancel_reply()

    async def _on_audio(self, event: InputAudioBufferAppend) -> None:
        from model.turn.turn_taking import SpeechStart, TurnEnd

        samples = event.audio
        audio_16k = resample_pcm16(samples, self._in_rate, MODEL_INPUT_RATE).astype(np.float32) / 32768.0
        for turn_event in self._turns.push(audio_16k):
            if isinstance(turn_event, SpeechStart):
                self._cancel_reply()  # barge-in: the user has the floor
                await self._queue.put(SpeechStarted(audio_start_ms=turn_event.audio_start_ms, item_id=new_id("item")))
            elif isinstance(turn_event, TurnEnd):  # pauses inside a turn only matter to a cascade's early ASR
                await self._queue.put(SpeechStopped(audio_end_ms=turn_event.audio_end_ms, item_id=new_id("item")))
                self._start_reply(HistoryTurn("human", audio_path=self._save_turn(turn_event.audio_16k)))

    def _on_item(self, item: ConversationItem) -> None:
        text = " ".join(part.text or part.transcript or "" for part in item.content).strip()
        role = "assistant" if item.role == "assistant" else "human"
        if text:
            self._conversation.history.append(HistoryTurn(role, text=text))

    def _save_turn(self, audio_16k: np.ndarray) -> str:
        path = self._conversation.workdir / f"turn-{len(self._conversation.history):04d}.wav"
        write_wav_16k(path, audio_16k)
        return str(path)

    def _cancel_reply(self) -> None:
        if self._reply is not None and not self._reply.done():
            self._reply.cancel()

    def _start_reply(self, user: HistoryTurn | None) -> None:
        self._cancel_reply()
        if user is None:  # response.create after typed items: the last typed human turn is the prompt
            history = self._conversation.history
            if not history or history[-1].role != "human":
                self._queue.put_nowait(error_event("nothing to answer: add a user item first", code="empty_turn"))
                return
            user = history.pop()
        self._reply = asyncio.create_task(self._respond(user))

    async def _respond(self, user: HistoryTurn) -> None:
        response = ResponseInfo(id=new_id("resp"))
        item_id = new_id("item")
        await self._queue.put(ResponseCreated(response=response))
        messages = build_messages(self._config.instructions, self._conversation.history, user)
        try:
            voice = await asyncio.to_thread(reference_clip, self._config.voice, self._voices_dir, self._clip_lookup)
            ids, _text, audio_tokens = await asyncio.to_thread(self._models.llm, messages, **DEFAULT_GENERATION)
            wav = await asyncio.to_thread(self._models.token2wav, audio_tokens, prompt_wav=str(voice))
        except asyncio.CancelledError:
            await self._queue.put(ResponseDone(response=response.model_copy(update={"status": "cancelled"})))
            raise
        except Exception:  # noqa: BLE001 - a failed turn is reported; the session stays usable
            await self._queue.put(internal_error_event(log, "Step-Audio 2 could not answer", code="generation_failed"))
            await self._queue.put(ResponseDone(response=response.model_copy(update={"status": "failed"})))
            return
        text_ids, _ = split_output_tokens(ids)
        transcript = self._models.llm.llm_tokenizer.decode(text_ids).replace("<tts_start>", "").strip()
        self._conversation.history += [
            user,
            HistoryTurn("assistant", text=transcript, audio_tokens=tuple(audio_tokens)),
        ]
        part = {"response_id": response.id, "item_id": item_id}
        await self._queue.put(ResponseAudioTranscriptDelta(**part, delta=transcript))
        samples = wav_bytes_to_pcm16(wav, self._out_rate)
        step = int(self._out_rate * DELTA_SECONDS)
        for start in range(0, samples.size, step):
            await self._queue.put(ResponseAudioDelta(**part, delta=samples[start : start + step]))
        await self._queue.put(ResponseAudioDone(**part))
        await self._queue.put(ResponseAudioTranscriptDone(**part, transcript=transcript))
        await self._queue.put(ResponseDone(response=response.model_copy(update={"status": "completed"})))

    async def events(self) -> AsyncIterator[ServerEvent]:
        while (event := await self._queue.get()) is not None:
            yield event

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._cancel_reply()
        if self._reply is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reply
        await self._queue.put(None)


class StepAudio2Engine:
    """Engine `step-audio-2-mini`. Models load on the first session (minutes) and are then shared."""

    name = "step-audio-2-mini"

    def __init__(self, model: str, clip_lookup: ClipLookup | None = None, voices_dir: Path | None = None) -> None:
        self.model = model
        # Finds reference clips kept outside voices_dir (the studio's custom voices) by voice id.
        self.clip_lookup = clip_lookup
        self.voices_dir = voices_dir  # one packaged WAV per voice; the app passes its own folder
        self._models: LoadedModels | None = None
        self._lock = asyncio.Lock()

    def availability(self) -> Availability:
        return gpu_availability()

    def voices(self) -> list[VoiceInfo]:
        folder = self.voices_dir
        clips = sorted(folder.glob("*.wav")) if folder is not None and folder.is_dir() else []
        return [
            VoiceInfo(
                id=clip.stem,
                name=clip.stem,
                languages=("en", "zh"),
                description="timbre copied from a reference clip",
                model="Step-Audio 2 mini",
                license="Apache-2.0 (model); clip: see the README.md beside it",
                source=f"{clip.parent.name}/{clip.name}",
            )
            for clip in clips
        ]

    async def open_session(self, config: SessionConfig) -> StepAudio2Session:
        availability = self.availability()
        if not availability.usable:
            raise RuntimeError(f"step-audio-2-mini is not usable here: {availability.reason}")
        async with self._lock:
            if self._models is None:
                self._models = await asyncio.to_thread(load_models, self.model)
        return StepAudio2Session(self._models, config, voices_dir=self.voices_dir, clip_lookup=self.clip_lookup)
