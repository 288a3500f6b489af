"""`stepaudio-ui bench engine`: spoken turns through embedded-engine sessions at real-time pace.

Each utterance is streamed in 20 ms chunks with real sleeps (a microphone's pace), followed by silence
that keeps streaming until the reply is complete, as a live microphone would. Per turn and as p50/p95 it
reports: actual end of speech -> first reply audio (what the user waits), end-of-turn decision -> first
reply audio (the engine's own work, without the silence wait), ASR word/character error against the
reference, LLM time to first token and tokens/s, TTS real-time factor, and the process's peak memory;
then one JSON line with all of it and each turn's transcripts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from model.embedded.engine import EmbeddedEngine, load_shared_models
from model.embedded.session import EmbeddedSession
from model.events import (
    InputAudioBufferAppend,
    ServerEvent,
    SessionConfig,
    SessionUpdate,
    TurnDetection,
    encode_pcm16,
    now_ms,
)
from stepaudio_ui.bench.utterances import (
    SAMPLE_RATE,
    Utterance,
    error_units,
    load_utterances,
    make_default_utterances,
    trim_silence,
)
from stepaudio_ui.engines import embedded_options
from stepaudio_ui.settings import Settings

logger = logging.getLogger(__name__)

CHUNK_MS = 20
LEAD_SILENCE_MS = 300
AFTER_REPLY_MS = 400
TURN_TIMEOUT_S = 120.0
BENCH_INSTRUCTIONS = "You are Ada, a cheerful and helpful voice assistant. Answer the question directly and briefly."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inputs", type=Path, default=None, help="folder of WAVs with optional NAME.txt references")
    parser.add_argument("--sessions", type=int, choices=(1, 2), default=1, help="sessions talking at the same time")
    parser.add_argument("--json-only", action="store_true", help="print only the final JSON line")
    parser.add_argument("--silence-ms", type=int, default=500, help="turn_detection.silence_duration_ms")
    parser.add_argument("--max-sentences", type=int, default=2, help="reply length limit in sentences")


@dataclass
class TurnResult:
    session: int
    name: str
    language: str
    reference: str | None
    transcript: str
    reply: str
    status: str
    eos_to_first_audio_ms: float | None
    decision_to_first_audio_ms: float | None
    silence_wait_ms: float | None
    asr_ms: float | None
    llm_ttft_ms: float | None
    llm_tokens_per_s: float | None
    tts_rtf: float | None
    errors: int | None
    reference_units: int | None


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def _gap(later: float | None, earlier: float | None) -> float | None:
    return round(later - earlier, 1) if later is not None and earlier is not None else None


class _Driver:
    """One session fed like a microphone: speech, then silence until the reply has been heard out."""

    def __init__(self, engine: EmbeddedEngine, index: int, silence_ms: int, max_sentences: int) -> None:
        self._engine = engine
        self._index = index
        self._config = SessionConfig(
            instructions=BENCH_INSTRUCTIONS,
            language="auto",
            max_sentences=max_sentences,
            turn_detection=TurnDetection(silence_duration_ms=silence_ms),
        )
        self._events: asyncio.Queue[ServerEvent] = asyncio.Queue()
        self._clock = 0.0

    async def run(self, utterances: list[Utterance]) -> list[TurnResult]:
        session = await self._engine.open_session(self._config)
        reader = asyncio.create_task(self._read(session))
        self._clock = time.monotonic()
        results = []
        try:
            for utterance in utterances:
                language = utterance.language if utterance.language in ("en", "zh") else "auto"
                await session.send(SessionUpdate(session=SessionConfig(language=language)))
                results.append(await self._turn(session, utterance))
        finally:
            await session.close()
            reader.cancel()
        return results

    async def _read(self, session: EmbeddedSession) -> None:
        async for event in session.events():
            self._events.put_nowait(event)

    async def _send_chunk(self, session: EmbeddedSession, chunk: np.ndarray) -> None:
        # An absolute schedule, so a slow iteration does not make the "microphone" drift behind real time.
        self._clock += CHUNK_MS / 1000
        delay = self._clock - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            self._clock = time.monotonic()
        await session.send(InputAudioBufferAppend(audio=encode_pcm16(chunk)))

    async def _turn(self, session: EmbeddedSession, utterance: Utterance) -> TurnResult:
        step = SAMPLE_RATE * CHUNK_MS // 1000
        speech = trim_silence(utterance.audio)
        lead = np.zeros(SAMPLE_RATE * LEAD_SILENCE_MS // 1000, dtype=np.float32)
        audio = np.concatenate([lead, speech])
        silence = np.zeros(step, dtype=np.float32)
        while not self._events.empty():
            self._events.get_nowait()
        for begin in range(0, audio.size, step):
            await self._send_chunk(session, audio[begin : begin + step])
        speech_end = now_ms()  # the last voiced sample has just been "spoken"
        transcript, language, done = "", utterance.language, None
        ours: set[str] = set()  # responses created for this turn (a late reply to an earlier one is not it)
        committed = False
        deadline = time.monotonic() + TURN_TIMEOUT_S
        while done is None and time.monotonic() < deadline:
            await self._send_chunk(session, silence)
            while not self._events.empty():
                event = self._events.get_nowait()
                if event.type == "input_audio_buffer.committed":
                    committed = True
                elif event.type == "response.created" and committed:
                    ours.add(event.response.id)
                elif event.type == "conversation.item.input_audio_transcription.completed":
                    # A pause inside the utterance can end a turn early; the ASR still heard every part.
                    transcript = f"{transcript} {event.transcript}".strip()
                    language = event.language or language
                    if not transcript:
                        deadline = min(deadline, time.monotonic() + 1.0)  # heard nothing: no reply will come
                elif event.type == "response.done" and event.response.id in ours:
                    done = event.response
                elif event.type == "error":
                    logger.warning("session %d: %s", self._index, event.error.message)
        # Keep the "microphone" open until the session is idle, so one slow turn cannot leak into the next.
        idle_deadline = time.monotonic() + TURN_TIMEOUT_S
        while not session.idle and time.monotonic() < idle_deadline:
            await self._send_chunk(session, silence)
        for _ in range(AFTER_REPLY_MS // CHUNK_MS):
            await self._send_chunk(session, silence)
        timings = done.timings if done is not None else None
        reply = ""
        if done is not None and done.output and done.output[0].content:
            reply = done.output[0].content[0].transcript or ""
        errors = units = None
        if utterance.reference:
            errors, units = error_units(utterance.reference, transcript, utterance.language)
        return TurnResult(
            session=self._index,
            name=utterance.name,
            language=language or "auto",
            reference=utterance.reference,
            transcript=transcript,
            reply=reply,
            status=done.status if done is not None else "no reply",
            eos_to_first_audio_ms=_gap(timings.first_audio_ms, speech_end) if timings else None,
            decision_to_first_audio_ms=_gap(timings.first_audio_ms, timings.turn_decided_ms) if timings else None,
            silence_wait_ms=_gap(timings.turn_decided_ms, speech_end) if timings else None,
            asr_ms=_gap(timings.asr_done_ms, timings.turn_decided_ms) if timings else None,
            llm_ttft_ms=_gap(timings.llm_first_token_ms, timings.asr_done_ms) if timings else None,
            llm_tokens_per_s=timings.llm_tokens_per_s if timings else None,
            tts_rtf=timings.tts_rtf if timings else None,
            errors=errors,
            reference_units=units,
        )


def summarise(turns: list[TurnResult], sessions: int, load_s: float) -> dict[str, object]:
    def values(field: str) -> list[float]:
        return [v for t in turns if (v := getattr(t, field)) is not None]

    def rate(language: str) -> float | None:
        scored = [t for t in turns if t.errors is not None and t.language == language and t.reference_units]
        total = sum(t.reference_units or 0 for t in scored)
        return round(sum(t.errors or 0 for t in scored) / total, 4) if total else None

    summary: dict[str, object] = {"sessions": sessions, "turns_total": len(turns), "model_load_s": round(load_s, 2)}
    for field, key in (
        ("eos_to_first_audio_ms", "eos_to_first_audio"),
        ("decision_to_first_audio_ms", "decision_to_first_audio"),
        ("silence_wait_ms", "silence_wait"),
        ("asr_ms", "asr"),
        ("llm_ttft_ms", "llm_ttft"),
    ):
        summary[f"{key}_p50_ms"] = _percentile(values(field), 50)
        summary[f"{key}_p95_ms"] = _percentile(values(field), 95)
    summary["asr_wer"] = rate("en")
    summary["asr_cer_zh"] = rate("zh")
    summary["llm_tokens_per_s"] = _percentile(values("llm_tokens_per_s"), 50)
    summary["tts_rtf_p50"] = _percentile(values("tts_rtf"), 50)
    summary["tts_rtf_p95"] = _percentile(values("tts_rtf"), 95)
    summary["replies_completed"] = sum(1 for t in turns if t.status == "completed")
    summary["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    summary["turns"] = [asdict(t) for t in turns]
    return summary


def _table(turns: list[TurnResult]) -> list[str]:
    def show(value: float | None, digits: int = 0) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    lines = ["sess name          eos>audio dec>audio  wait   asr  ttft  tok/s  rtf   err  transcript -> reply"]
    for t in turns:
        err = f"{t.errors}/{t.reference_units}" if t.errors is not None else "-"
        lines.append(
            f"{t.session:>4} {t.name[:13]:<13} {show(t.eos_to_first_audio_ms):>9} {show(t.decision_to_first_audio_ms):>9}"
            f" {show(t.silence_wait_ms):>5} {show(t.asr_ms):>5} {show(t.llm_ttft_ms):>5} {show(t.llm_tokens_per_s):>6}"
            f" {show(t.tts_rtf, 2):>4} {err:>5}  {t.transcript!r} -> {t.reply[:70]!r}"
        )
    return lines


async def _bench(args: argparse.Namespace, settings: Settings) -> dict[str, object]:
    options = embedded_options(settings)
    started = time.perf_counter()
    models = await asyncio.to_thread(load_shared_models, options)
    load_s = time.perf_counter() - started
    if args.inputs is not None:
        utterances = load_utterances(args.inputs)
    else:
        utterances = make_default_utterances(models.tts, settings.data_dir / "bench")
    # Paced like a real client plays it: the next question comes after the reply has been heard.
    engine = EmbeddedEngine(options, models, pace_audio=True)
    drivers = [_Driver(engine, index, args.silence_ms, args.max_sentences) for index in range(args.sessions)]
    per_session = await asyncio.gather(*(driver.run(utterances) for driver in drivers))
    turns = [turn for session_turns in per_session for turn in session_turns]
    summary = summarise(turns, args.sessions, load_s)
    summary["table"] = _table(turns)
    return summary


def run(args: argparse.Namespace, settings: Settings) -> int:
    summary = asyncio.run(_bench(args, settings))
    table = summary.pop("table")
    out = sys.stdout
    if not args.json_only:
        for line in table:  # type: ignore[union-attr]
            out.write(line + "\n")
        for key, value in summary.items():
            if key != "turns":
                out.write(f"{key:>34}: {value}\n")
    out.write(json.dumps(summary, ensure_ascii=False) + "\n")
    out.flush()
    return 0 if summary["turns_total"] else 1
