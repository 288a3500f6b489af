"""Questions with a hesitation inside: the turn set that says whether an early end of turn cuts people off.

Each is spoken by the bench's "user" voice with an ellipsis where the speaker hesitates (after "for",
"the", "my", ...), so the voice itself gives the words before it the unfinished, held intonation of a
hesitation; the short silence the voice leaves there is then stretched to `PAUSE_MS`. That is shorter
than the default silence wait (500 ms), so an end of turn inside the pause can only come from the
end-of-turn model deciding early: exactly the mistake to count. Written once into a cache folder like
the default questions (`utterances`), trimmed, with the full sentence as the reference.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from model.audio import resample
from model.embedded.speak.kokoro import SpeechSynthesizer
from stepaudio_ui.bench.utterances import (
    SAMPLE_RATE,
    SPEAKER_VOICE,
    Utterance,
    load_utterances,
    trim_silence,
    write_wav,
)

logger = logging.getLogger(__name__)

CACHE_VERSION = "v1"  # bump when the sentences, the voice or the pause change
PAUSE_MS = 400
MARK = "|"  # where the speaker hesitates
QUIET_RMS = 0.01
FRAME_MS = 10
MIN_QUIET_MS = 40

HESITANT_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("hes_en_table", "I would like to book a table for | four people tonight."),
    ("hes_en_station", "Can you tell me how to get to the | train station from here?"),
    ("hes_en_beach", "I was thinking about going to | the beach this weekend."),
    ("hes_en_cook", "My favourite thing to cook is | pasta with fresh tomatoes."),
    ("hes_en_sister", "Could you remind me to call my | sister after lunch?"),
    ("hes_en_language", "What is the best way to | learn a new language?"),
    ("hes_en_internet", "I need some help with my | internet connection."),
    ("hes_en_dragon", "Tell me a story about a | dragon who loves music."),
    ("hes_en_egg", "How long does it take to | boil an egg?"),
    ("hes_en_present", "I want to buy a present for | my mother's birthday."),
    ("hes_en_weather", "The weather today is | really nice and sunny."),
    ("hes_en_music", "Please play some music that is | calm and relaxing."),
    ("hes_en_flight", "Can you check if my flight to | London is on time?"),
    ("hes_en_movie", "What was the name of that | movie with the talking dog?"),
    ("hes_en_recipe", "I need a recipe that uses | chicken and rice."),
    ("hes_en_alarm", "Set an alarm for seven and | turn off the lights."),
    ("hes_zh_weather", "我想问一下，那个 | 明天的天气怎么样？"),
    ("hes_zh_park", "如果明天不下雨的话，我们就 | 去公园散步吧。"),
    ("hes_zh_food", "我最喜欢吃的水果是 | 苹果和香蕉。"),
    ("hes_zh_ticket", "请帮我订一张 | 去上海的火车票。"),
)


def _quiet_runs(audio: np.ndarray, rate: int) -> list[tuple[int, int]]:
    """(start, end) sample ranges where the voice is quiet for at least MIN_QUIET_MS."""
    frame = rate * FRAME_MS // 1000
    levels = [float(np.sqrt(np.mean(audio[i : i + frame] ** 2))) for i in range(0, audio.size - frame, frame)]
    runs, start = [], None
    for index, level in enumerate([*levels, 1.0]):  # a loud sentinel closes a run at the end
        if level < QUIET_RMS and start is None:
            start = index
        elif level >= QUIET_RMS and start is not None:
            if (index - start) * FRAME_MS >= MIN_QUIET_MS:
                runs.append((start * frame, index * frame))
            start = None
    return runs


def with_hesitation(audio: np.ndarray, rate: int, at_fraction: float) -> np.ndarray:
    """`audio` with its quiet stretch nearest `at_fraction` of its length widened to PAUSE_MS of silence."""
    speech = trim_silence(audio)
    runs = _quiet_runs(speech, rate)
    if not runs:
        raise ValueError("the voice left no pause to widen; put the hesitation mark between two words")
    target = at_fraction * speech.size
    start, end = min(runs, key=lambda run: abs((run[0] + run[1]) / 2 - target))
    pause = np.zeros(rate * PAUSE_MS // 1000, dtype=np.float32)
    return np.concatenate([speech[:start], pause, speech[end:]]).astype(np.float32)


def make_hesitant_utterances(tts: SpeechSynthesizer, cache_dir: Path, limit: int | None = None) -> list[Utterance]:
    """The first `limit` (default: all) hesitant questions, synthesised once into `cache_dir/hesitations-<version>`."""
    folder = cache_dir / f"hesitations-{CACHE_VERSION}"
    wanted = HESITANT_QUESTIONS[:limit]
    for name, marked in wanted:
        wav = folder / f"{name}.wav"
        if wav.is_file():
            continue
        before, after = (part.strip() for part in marked.split(MARK))
        chinese = name.startswith("hes_zh")
        spoken = f"{before}…{after}" if chinese else f"{before}... {after}"
        speech = tts.synthesize(spoken, voice=SPEAKER_VOICE, speed=1.0, language="zh" if chinese else "en")
        hesitant = with_hesitation(speech, tts.sample_rate, len(before) / (len(before) + len(after)))
        write_wav(wav, resample(hesitant, tts.sample_rate, SAMPLE_RATE))
        reference = f"{before}{after}" if chinese else f"{before} {after}"
        (folder / f"{name}.txt").write_text(reference + "\n", encoding="utf-8")
        logger.info("made hesitant utterance %s (%.1f s)", wav.name, hesitant.size / tts.sample_rate)
    names = {name for name, _ in wanted}
    return [u for u in load_utterances(folder) if u.name in names]
