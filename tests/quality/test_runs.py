"""Real check runs on the embedded engine, stored in a real SQLite library: pass, fail, compare, disclosure."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf

from model.embedded.engine import EmbeddedEngine
from stepaudio_ui.quality.ab import AbConfig, AbSetupError, ask_both
from stepaudio_ui.quality.compare import compare_runs
from stepaudio_ui.quality.embedder import SentenceEmbedder
from stepaudio_ui.quality.report import comparison_report, run_report
from stepaudio_ui.quality.runner import run_check
from stepaudio_ui.quality.runs import get_run, list_runs
from stepaudio_ui.quality.script import CheckScript
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.store import Database
from tests.quality.conftest import greeting_script


async def _run(
    library: Database,
    engine: EmbeddedEngine,
    embedder: SentenceEmbedder,
    script: CheckScript,
    data_dir: Path,
    **kwargs: object,
):
    return await run_check(db=library, engine=engine, script=script, data_dir=data_dir, embedder=embedder, **kwargs)


async def test_a_script_that_passes_is_stored_with_replies_audio_and_scores(
    library, quality_engine, embedder, tmp_path
):
    script = CheckScript.model_validate(
        {
            "persona": "nova-in-car",
            "scene": "in-car",
            "every_turn": {"language": "en", "max_sentences": 3, "max_words": 90, "min_in_character": 0.05},
            "greeting": {"language": "en", "must_mention": ["Nova"], "max_sentences": 2},
            "turns": [
                {"say": "Find me a charger nearby.", "expect": {"max_audio_seconds": 40, "pacing_tolerance": 0.6}}
            ],
        }
    )
    record = await _run(library, quality_engine, embedder, script, tmp_path)
    report = run_report(record)
    assert record.passed, report
    assert (record.persona_version, record.scene_slug, record.scene_version, record.engine) == (
        1,
        "in-car",
        1,
        "embedded",
    )
    greeting, turn = record.replies
    assert greeting.reply_text == "Hi, I'm Nova. Where are we heading today?"
    assert turn.user_text == "Find me a charger nearby." and turn.reply_text and turn.latency_ms and turn.latency_ms > 0
    audio, rate = sf.read(turn.audio_path)
    assert rate == 24_000 and abs(audio.size / rate - turn.audio_seconds) < 0.01 and turn.audio_seconds > 0.5
    checks = {r.check: r for r in turn.results}
    assert {
        "language",
        "max_sentences",
        "max_words",
        "max_audio_seconds",
        "never_say",
        "never_topics",
        "in_character",
        "speaking_rate",
    } <= set(checks)
    assert 0.05 <= checks["in_character"].score <= 1.0 and checks["speaking_rate"].score > 1.0
    assert record.voice_card.model.startswith("Kokoro") and "Consent:" in report and "in_character" in report
    with library.session() as session:
        assert [r.id for r in list_runs(session, persona_slug="nova-in-car")] == [record.id]


async def test_a_script_fails_for_each_kind_of_expectation(library, quality_engine, embedder, tmp_path):
    # The greeting is fixed text ("Hi, I'm Nova. Where are we heading today?"): every limit below is broken.
    script = greeting_script(
        language="zh",
        max_sentences=1,
        max_words=4,
        min_words=20,
        max_audio_seconds=0.5,
        must_mention=["charger"],
        must_mention_any=["zebra", "giraffe"],
        never_say=["heading"],
        never_topics=["where are we going today"],
        min_in_character=0.95,
        pacing_tolerance=0.01,
        discloses_ai=True,
    )
    record = await _run(library, quality_engine, embedder, script, tmp_path)
    results = {r.check: r for r in record.replies[0].results}
    failed = {name for name, result in results.items() if not result.passed}
    assert failed == {
        "language", "max_sentences", "max_words", "min_words", "max_audio_seconds", "must_mention:charger",
        "must_mention_any", "never_say", "never_topics", "in_character", "speaking_rate", "discloses_ai",
    }  # fmt: skip
    assert not record.passed and record.failed_checks == 12 == record.total_checks
    assert results["never_say"].detail == "said: heading"
    with library.session() as session:
        assert get_run(session, record.id).failed_checks == 12  # as stored


async def test_comparing_two_versions_shows_flipped_checks_and_moved_scores(
    library, quality_engine, embedder, tmp_path
):
    script = greeting_script(must_mention=["charger"], max_words=12, min_in_character=0.0)
    before = await _run(library, quality_engine, embedder, script, tmp_path)
    with library.session() as session:
        v1 = studio.get_version(session, kind="persona", slug="nova-in-car")
        greeting = "Hi, I'm Nova, your co-pilot. I can find a charger, set the climate or play music. Where to?"
        studio.save_version(session, kind="persona", slug="nova-in-car", spec={**v1.spec.model_dump(), "greeting": greeting},
                            base_number=1, author="test")  # fmt: skip
    after = await _run(library, quality_engine, embedder, script, tmp_path)
    assert (before.persona_version, after.persona_version) == (1, 2)
    comparison = compare_runs(before, after)
    flips = {(f.check, f.before_passed, f.after_passed) for f in comparison.flipped}
    assert flips == {("must_mention:charger", False, True), ("max_words", True, False)}
    moved = {m.check: (m.before, m.after) for m in comparison.moved}
    assert moved["max_words"] == (8, 19) and "in_character" in moved
    text = comparison_report(comparison)
    assert "turn 0 must_mention:charger: fail -> pass" in text and "turn 0 max_words: 8 -> 19" in text


async def test_a_scene_requiring_disclosure_makes_the_greeting_say_it_is_an_ai_voice(
    library, quality_engine, embedder, tmp_path
):
    with library.session() as session:
        scene = studio.get_version(session, kind="scene", slug="in-car")
        studio.save_version(session, kind="scene", slug="in-car", spec={**scene.spec.model_dump(), "require_ai_disclosure": True},
                            base_number=1, author="test")  # fmt: skip
    script = greeting_script(must_mention=["Nova"])  # the script does not ask: the scene's rule adds the check
    disclosed = await _run(library, quality_engine, embedder, script, tmp_path)
    greeting = disclosed.replies[0]
    assert greeting.reply_text == "Hi, I'm Nova. Where are we heading today? Just so you know, I'm an AI voice."
    assert {r.check: r.passed for r in greeting.results}["discloses_ai"] and disclosed.passed
    silent = await _run(
        library, quality_engine, embedder, greeting_script(discloses_ai=True), tmp_path, scene_version=1
    )
    assert not silent.passed and [r.check for r in silent.replies[0].results if not r.passed] == ["discloses_ai"]


async def test_a_spoken_turn_from_a_wav_clip_is_heard_and_scored(
    library, quality_engine, quality_models, embedder, tmp_path
):
    speech = quality_models.tts.synthesize("Find me a charger, please.", voice="jm_kumo", speed=1.0, language="en")
    clip = tmp_path / "clips" / "charger.wav"
    clip.parent.mkdir()
    sf.write(str(clip), speech, quality_models.tts.sample_rate)
    script = CheckScript.model_validate(
        {
            "persona": "nova-in-car",
            "scene": "in-car",
            "turns": [{"audio": str(clip), "expect": {"language": "en", "min_words": 1}}],
        }
    )
    record = await _run(library, quality_engine, embedder, script, tmp_path)
    turn = record.replies[-1]
    assert turn.user_text.startswith("[audio charger.wav]: ") and "charger" in turn.user_text.lower()
    assert record.passed, run_report(record)


async def test_ab_sends_one_spoken_turn_to_both_configurations(library, quality_engine, quality_models, tmp_path):
    """A/B with a spoken turn: both configurations hear the same clip and each answers in speech."""
    speech = quality_models.tts.synthesize("Where can I charge the car?", voice="jm_kumo", speed=1.0, language="en")
    clip = tmp_path / "question.wav"
    sf.write(str(clip), speech, quality_models.tts.sample_rate)
    engines = {"embedded": quality_engine}
    a = AbConfig(persona="nova-in-car", scene="in-car", engine="embedded")
    b = AbConfig(persona="nova-in-car", scene="bedtime-story", engine="embedded")
    first, second = await ask_both(db=library, engines=engines, a=a, b=b, text="", audio=clip, out_dir=tmp_path / "ab")
    assert first.label != second.label
    for reply in (first, second):
        assert reply.text and reply.audio_path and Path(reply.audio_path).is_file() and reply.audio_seconds > 0.3
    with pytest.raises(AbSetupError, match="record or upload it again"):
        await ask_both(db=library, engines=engines, a=a, b=b, text="", audio=tmp_path / "gone.wav", out_dir=tmp_path)
    with pytest.raises(AbSetupError, match="type the user turn, or record or upload it"):
        await ask_both(db=library, engines=engines, a=a, b=b, text="  ", out_dir=tmp_path)
