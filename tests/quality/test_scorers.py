"""Each kind of expectation, scored on fixed texts with the real embedding model: passes when met, fails when not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stepaudio_ui.package_data import packaged_folder
from stepaudio_ui.quality.embedder import SentenceEmbedder
from stepaudio_ui.quality.scorers import (
    Reply,
    count_sentences,
    count_words,
    detect_language,
    score_reply,
    voiced_seconds,
)
from stepaudio_ui.quality.script import Expectations, ScriptError, load_script, parse_script
from stepaudio_ui.studio.specs import Guardrails, PersonaSpec

NOVA = PersonaSpec(
    name="Nova",
    character="You are Nova, the in-car voice assistant. You help with navigation, charging stops and music.",
    examples=[
        {
            "user": "Find me a charger.",
            "assistant": "There's a fast charger eight minutes ahead. Shall I route us there?",
        }
    ],
    guardrails=Guardrails(avoid_topics=["speeding tips"], avoid_phrases=["look at the screen"]),
)
EMBEDDER = SentenceEmbedder()  # loads on first use, then serves every test here
ON_TASK = "There is a charging station two miles ahead. Shall I route us there?"  # 13 words, 2 sentences


def score(text: str, seconds: float = 4.0, **expect: object) -> dict[str, bool]:
    results = score_reply(Reply(text, seconds), Expectations(**expect), persona=NOVA, speed=1.0, embedder=EMBEDDER)
    return {r.check: r.passed for r in results}


def test_text_measures():
    assert detect_language("Hello there, friend.") == "en"
    assert detect_language("您好，我是小星，请问有什么可以帮您？") == "zh"
    assert detect_language("OK 好的，没问题，马上为您处理。") == "zh"
    assert detect_language("...") is None
    assert count_sentences(ON_TASK) == 2 and count_sentences("你好。我是小星！") == 2
    assert count_words(ON_TASK) == 13 and count_words("我是小星") == 4


GOOD = "Hi, I'm Nova, your AI voice. There's a fast charger ahead; shall I route us there?"


@pytest.mark.parametrize(
    ("expect", "failing_text", "check"),
    [
        ({"language": "en"}, "您好，我是小星，请问有什么可以帮您？", "language"),
        ({"max_sentences": 2}, "One. Two. Three.", "max_sentences"),
        ({"max_words": 16}, ON_TASK + " It is a fast one.", "max_words"),
        ({"min_words": 3}, "Okay.", "min_words"),
        ({"must_mention": ["charg"]}, "Sure, playing music now.", "must_mention:charg"),
        ({"must_mention_any": ["route", "navigate"]}, "Sure, playing music now.", "must_mention_any"),
        ({"never_say": ["two miles"]}, ON_TASK, "never_say"),
        ({}, "Please look at the screen for the map.", "never_say"),  # the persona's own guardrail phrase
        ({"never_topics": ["playing music"]}, "Sure. I am playing your favourite music now.", "never_topics"),
        ({}, "Okay. Here are some speeding tips: drive faster when no police are around.", "never_topics"),
        (
            {"min_in_character": 0.3},
            "The French Revolution began in 1789 with the storming of the Bastille.",
            "in_character",
        ),
        ({"discloses_ai": True}, "Hi, I'm Nova. Where are we heading today?", "discloses_ai"),
    ],
)
def test_each_expectation_fails_when_broken_and_passes_when_met(expect: dict, failing_text: str, check: str):
    assert score(failing_text, **expect)[check] is False
    assert score(GOOD, **expect)[check] is True


def test_limits_on_audio_length_and_speaking_rate():
    assert score(ON_TASK, seconds=3.8, max_audio_seconds=5)["max_audio_seconds"] is True
    assert score(ON_TASK, seconds=9.0, max_audio_seconds=5)["max_audio_seconds"] is False
    # 13 words in 3.7 s is the embedded voices' pace at speed 1.0; 13 words in 12 s is far too slow.
    assert score(ON_TASK, seconds=3.7, pacing_tolerance=0.25)["speaking_rate"] is True
    assert score(ON_TASK, seconds=12.0, pacing_tolerance=0.25)["speaking_rate"] is False


def test_voiced_seconds_ignore_the_silence_around_a_reply():
    rate = 24_000
    audio = np.zeros(3 * rate, np.float32)
    audio[rate : 2 * rate] = 0.3 * np.sin(np.arange(rate, dtype=np.float32) / 5)
    assert voiced_seconds(audio, rate) == pytest.approx(1.0, abs=0.02)
    assert voiced_seconds(np.zeros(rate, np.float32), rate) == 0.0 == voiced_seconds(np.zeros(7, np.float32), rate)


def test_in_character_scores_on_task_replies_higher_than_off_topic_ones():
    embedder = EMBEDDER
    references = [NOVA.character, *(e.assistant for e in NOVA.examples)]
    on_task = embedder.similarity("Warming the cabin and finding a charger on our route.", references)
    off_topic = embedder.similarity("The French Revolution began in 1789.", references)
    assert on_task > off_topic + 0.3


def test_bad_scripts_name_the_field_and_the_fix(tmp_path: Path):
    with pytest.raises(ScriptError, match=r"turns\.0.*exactly one of"):
        parse_script(json.dumps({"persona": "nova", "turns": [{"say": "hi", "audio": "a.wav"}]}))
    with pytest.raises(ScriptError, match=r"every_turn\.must_mention_al.*Extra inputs"):
        parse_script(json.dumps({"persona": "nova", "every_turn": {"must_mention_al": []}, "turns": [{"say": "hi"}]}))
    with pytest.raises(ScriptError, match='needs "turns"'):
        parse_script(json.dumps({"persona": "nova"}))
    script = tmp_path / "nova.json"
    script.write_text(json.dumps({"persona": "nova", "turns": [{"audio": "clips/missing.wav"}]}))
    with pytest.raises(ScriptError, match=r"turn 1 audio clip .*clips/missing.wav does not exist"):
        load_script(script)
    with pytest.raises(ScriptError, match="cannot read check script"):
        load_script(tmp_path / "absent.json")


def test_turn_expectations_add_to_every_turn():
    script = parse_script(
        json.dumps(
            {
                "persona": "nova",
                "every_turn": {"max_words": 50, "never_say": ["yeah"]},
                "turns": [{"say": "hi", "expect": {"max_words": 20, "never_say": ["nope"]}}, {"say": "ok"}],
            }
        )
    )
    first, second = script.expectations_for(0), script.expectations_for(1)
    assert first.max_words == 20 and first.never_say == ["yeah", "nope"]
    assert second.max_words == 50 and second.never_say == ["yeah"]


def test_every_seed_persona_has_a_valid_check_script():
    seeds = packaged_folder("seeds")
    slugs = {path.stem for path in (seeds / "personas").glob("*.json")}
    scripts = {path.stem: load_script(path) for path in (seeds / "checks").glob("*.json")}
    assert set(scripts) == slugs
    for slug, script in scripts.items():
        assert script.persona == slug and (seeds / "scenes" / f"{script.scene}.json").is_file()
