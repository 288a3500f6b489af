"""The critical-path floor of a spoken turn: its stages timed alone, on the same turns, in the same run.

What a user waits for (end of speech -> first reply audio) can only be judged against what the machine
needs for it. After the bench's turns, each answered turn is replayed stage by stage on the idle engine
models, one call at a time, and the floor is their sum:

    floor = turn end + ASR + first token + first phrase, where
    - turn end: when the turn-taking rule can decide for this turn (`turn_taking`): if the end-of-turn
      model, asked at the pause (~100 ms of silence) and timed alone on the turn's audio, is confident and
      the turn's words (Whisper, below) do not stop mid-sentence, the later of the semantic check point and
      the pause plus that model's time; otherwise the configured silence wait (longer for `semantic_vad`);
    - ASR: Whisper alone on the turn's audio, as the turn taker keeps it (~300 ms before the speech,
      ~100 ms after);
    - first token: the chat model alone on the turn's own prompt (the persona's system prompt, the
      conversation so far, the transcript), its prefix evaluated first as the session does while the
      user listens;
    - first phrase: the reply's voice alone on the text of the reply's first audio (no phrase cache).

A pipeline that ran these one after another would answer in `floor`; the engine overlaps them (the
transcript and the reply start at the pause), so its ratio to the floor can fall below 1.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from model.audio import resample
from model.embedded.reply.history import ConversationHistory
from model.embedded.reply.llm import ChatMessage, GenerationOptions
from model.embedded.reply.plan import ReplyPlan
from model.embedded.reply.prompts import SessionPrompts
from model.embedded.shared import SharedModels
from model.embedded.speak.phrases import detect_language
from model.events import SessionConfig, TurnDetection
from model.turn.turn_timing import (
    PAUSE_MS,
    SEMANTIC_CONFIDENT,
    extended_wait_ms,
    semantic_check_ms,
)
from model.turn.turn_words import sounds_unfinished
from stepaudio_ui.bench.engine_turns import LEAD_SILENCE_MS, HeardTurn
from stepaudio_ui.bench.utterances import SAMPLE_RATE, trim_silence

logger = logging.getLogger(__name__)

ASR_RATE = 16_000
TAIL_MS = 100  # the turn taker keeps ~100 ms of the silence after the last word (see TurnTaker._turn_audio)


@dataclass(frozen=True)
class FloorStages:
    """One turn's critical-path stages, each timed alone (ms)."""

    turn_end_ms: float
    asr_ms: float
    first_token_ms: float | None  # None: the chat model runs elsewhere (an endpoint), not timed
    first_phrase_ms: float | None  # None: the reply had no audio

    @property
    def total_ms(self) -> float | None:
        if self.first_token_ms is None or self.first_phrase_ms is None:
            return None
        return self.turn_end_ms + self.asr_ms + self.first_token_ms + self.first_phrase_ms

    def as_dict(self) -> dict[str, float | None]:
        return {**asdict(self), "total_ms": self.total_ms}


def turn_audio_16k(audio_24k: np.ndarray, lead_ms: int = LEAD_SILENCE_MS) -> np.ndarray:
    """The turn as the turn taker hands it on: some silence before the speech, the speech, ~100 ms after."""
    speech = resample(trim_silence(audio_24k), SAMPLE_RATE, ASR_RATE).astype(np.float32)
    lead = np.zeros(ASR_RATE * lead_ms // 1000, dtype=np.float32)
    return np.concatenate([lead, speech, np.zeros(ASR_RATE * TAIL_MS // 1000, dtype=np.float32)])


def _timed_ms(work: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000, result


class FloorTimer:
    """Times the stages of answered turns alone, on the engine's own models (call from a worker thread)."""

    def __init__(self, shared: SharedModels, config: SessionConfig) -> None:
        self._shared = shared
        self._models = shared.models
        self._config = config
        self._detection = config.turn_detection or TurnDetection()

    def stages_of(self, heard: HeardTurn) -> FloorStages:
        """The floor of one turn the bench drove (`engine_turns`)."""
        result = heard.result
        return self.stages(
            heard.utterance.audio,
            language=result.language,
            transcript=result.transcript,
            history=heard.history,
            first_phrase=result.first_phrase,
        )

    def stages(
        self,
        audio_24k: np.ndarray,
        *,
        language: str,
        transcript: str,
        history: Sequence[tuple[str, str]],
        first_phrase: str | None,
    ) -> FloorStages:
        """The floor of one turn: its speech, what the engine heard, the (role, text) turns before it, and
        the text of its reply's first audio."""
        language = language if language in ("en", "zh") else "en"
        audio = turn_audio_16k(audio_24k)
        asr_ms, heard = _timed_ms(lambda: self._models.asr.transcribe(audio, language))
        words = transcript or heard.text  # type: ignore[attr-defined]
        turn_end_ms = self._turn_end_ms(audio, words)
        plan, messages = self._prompt(history, words, language)
        first_token_ms = self._first_token_ms(messages, plan.options)
        first_phrase_ms = None
        if first_phrase:
            first_phrase_ms, _ = _timed_ms(
                lambda: self._models.tts.synthesize(
                    first_phrase, voice=plan.voice, speed=plan.speed, language=detect_language(first_phrase)
                )
            )
        return FloorStages(round(turn_end_ms, 1), round(asr_ms, 1), _round(first_token_ms), _round(first_phrase_ms))

    def _prompt(
        self, turns: Sequence[tuple[str, str]], transcript: str, language: str
    ) -> tuple[ReplyPlan, list[ChatMessage]]:
        """The plan and prompt the session made for this turn: its conversation so far, then the words."""
        history = ConversationHistory(self._shared.count_tokens, self._shared.context_tokens)
        for role, text in turns:
            history.add(role, text)
        prompts = SessionPrompts(self._shared, history)
        return prompts.for_user_turn(self._config, user_text=transcript, user_language=language)

    def _turn_end_ms(self, audio_16k: np.ndarray, words: str) -> float:
        """When the turn-taking rule decides for this turn (see the module doc)."""
        model = self._models.turn_model
        if model is None:
            return float(self._detection.silence_duration_ms)
        at_pause = np.concatenate([audio_16k[: audio_16k.size - ASR_RATE * TAIL_MS // 1000], _silence(PAUSE_MS)])
        model_ms, complete = _timed_ms(lambda: model.probability_complete(at_pause))
        if complete >= SEMANTIC_CONFIDENT and not sounds_unfinished(words):  # type: ignore[operator]
            return max(semantic_check_ms(self._detection), PAUSE_MS + model_ms)
        return extended_wait_ms(self._detection)

    def _first_token_ms(self, messages: list[ChatMessage], options: GenerationOptions) -> float | None:
        if not self._shared.llm_shares_cpu:
            return None  # a remote brain's time is not this machine's to time
        self._shared.warm_prompt([*messages[:-1], ChatMessage(role="user", content="…")])
        cancel = threading.Event()
        started = time.perf_counter()
        for _ in self._models.llm.stream_chat(messages, options, cancel):
            cancel.set()  # only the first token counts
            return (time.perf_counter() - started) * 1000
        return None


def _silence(ms: int) -> np.ndarray:
    return np.zeros(ASR_RATE * ms // 1000, dtype=np.float32)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
