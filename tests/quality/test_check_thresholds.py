"""The seed check scripts mean something: for every turn of every seed persona's script, a sensible reply
passes every check and a nonsense one fails at least one (real sentence-embedding model, real scorers).

The thresholds were loosened for SmolLM2-135M until nonsense passed; these replies pin where they are now.
"""

from __future__ import annotations

import json

import pytest

from stepaudio_ui.quality.embedder import SentenceEmbedder
from stepaudio_ui.quality.scorers import Reply, count_words, expected_rate, score_reply
from stepaudio_ui.quality.script import load_script
from stepaudio_ui.studio.compose import compose_session
from stepaudio_ui.studio.specs import PersonaSpec, SceneSpec

from .conftest import SEED_DIR

# persona -> per scripted turn: (a sensible reply, a nonsense one)
SAMPLES: dict[str, list[tuple[str, str]]] = {
    "nova-in-car": [
        (
            "There's a fast charger six minutes ahead, on the right. Shall I route us there?",
            "The sun rays are warm today, like a special flower in a garden.",
        ),
        ("Warming the cabin to twenty-two degrees now.", "I can't help you easily because of the fire in your face."),
    ],
    "sam-support": [
        (
            "I'm sorry your wifi keeps dropping. Let's check the router first: is its light steady or blinking?",
            "Dragons love to sleep on gold under the mountain all winter long.",
        ),
        (
            "Thanks for restarting it. Next, let's check the cable between the router and the wall, and make sure it is firmly plugged in.",
            "Bananas are yellow and the moon is made of cheese, my friend.",
        ),
    ],
    "aurelia-concierge": [
        (
            "Good evening. The spa is open tonight until ten; may I reserve a treatment for you?",
            "Yeah, whatever, figure it out yourself, buddy.",
        ),
        (
            "Breakfast is served from seven until half past ten in the garden room.",
            "My favourite video game has lots of lasers and explosions.",
        ),
    ],
    "captain-grizzle": [
        (
            "Arr, take the rope, make a loop, pass the end through and pull it tight, landlubber!",
            "Please fill in the form for your tax return before Friday.",
        ),
        (
            "My ship is the Salty Maw, an old three-masted vessel that has weathered every storm on the seven seas.",
            "The quarterly revenue of the software division rose by four percent.",
        ),
    ],
    "lin-tutor": [
        (
            "You say xiexie, written 谢谢. Try it with me: xie xie!",
            "The stock market closed lower today after the bank's report.",
        ),
        (
            "Of course! Let's start with apple, banana and window: say each one after me.",
            "My car needs new tyres and an oil change this week.",
        ),
        ("我很高兴认识你 in English is: Nice to meet you.", "今天的天气很好，我们去公园散步吧。"),
    ],
    "luna-storyteller": [
        (
            "Once upon a time, a little dragon named Pip was afraid of the dark. One night a firefly offered to light his way. Should Pip follow the firefly into the forest, or stay by the cosy river?",
            "Your invoice number is four two seven, please pay within thirty days.",
        ),
        (
            "Pip followed the firefly and found a glowing meadow full of friendly rabbits. They danced until the stars came out. What should Pip do next?",
            "Error: network timeout, please restart the router.",
        ),
    ],
    "xiaoxing-service": [
        ("您好，请先检查充电器和数据线是否完好，再换一个插座试试。", "The weather today is sunny with a light breeze."),
        ("如果还是充不进电，请重启手机后再试一次，或者带到售后服务中心检测。", "我觉得你应该去买一台别的牌子的手机。"),
    ],
}


def _spec(kind: str, slug: str) -> dict:
    return json.loads((SEED_DIR / kind / f"{slug}.json").read_text(encoding="utf-8"))["versions"][-1]["spec"]


def _failed(text: str, slug: str, turn: int, embedder: SentenceEmbedder) -> list[str]:
    script = load_script(SEED_DIR / "checks" / f"{slug}.json")
    persona = PersonaSpec.model_validate(_spec("personas", slug))
    speed = compose_session(persona, SceneSpec.model_validate(_spec("scenes", script.scene))).speed or 1.0
    seconds = count_words(text) / expected_rate(text, speed)  # spoken at the scene's pace
    results = score_reply(
        Reply(text, seconds, seconds), script.expectations_for(turn), persona=persona, speed=speed, embedder=embedder
    )
    return [f"{r.check} ({r.score} vs {r.threshold})" for r in results if not r.passed]


@pytest.mark.parametrize("slug", sorted(SAMPLES))
def test_a_sensible_reply_passes_and_nonsense_fails(slug: str, embedder: SentenceEmbedder) -> None:
    script = load_script(SEED_DIR / "checks" / f"{slug}.json")
    assert len(SAMPLES[slug]) == len(script.turns), "one sensible and one nonsense reply per scripted turn"
    for turn, (sensible, nonsense) in enumerate(SAMPLES[slug]):
        assert _failed(sensible, slug, turn, embedder) == [], f"turn {turn + 1}: {sensible!r}"
        assert _failed(nonsense, slug, turn, embedder), f"turn {turn + 1}: nonsense passed: {nonsense!r}"


# Sensible replies the default brain gave in check runs that a check failed: each names what was asked in its
# own words. (persona, scripted turn, reply)
OBSERVED_SENSIBLE = [
    (
        "sam-support",
        0,
        "I'm sorry to hear that you're experiencing connectivity issues. Can you please provide more details about "
        "what happened before the problem started?",
    ),
]


@pytest.mark.parametrize(("slug", "turn", "reply"), OBSERVED_SENSIBLE)
def test_a_sensible_reply_seen_in_a_check_run_passes(
    slug: str, turn: int, reply: str, embedder: SentenceEmbedder
) -> None:
    assert _failed(reply, slug, turn, embedder) == []


def test_every_seed_persona_has_a_check_script_covered_here() -> None:
    assert sorted(SAMPLES) == sorted(path.stem for path in (SEED_DIR / "checks").glob("*.json"))


def test_a_code_switching_reply_is_held_to_both_languages_rates() -> None:
    assert expected_rate("Shall we practise?", 1.0) == pytest.approx(3.5)
    assert expected_rate("请先检查充电器。", 1.0) == pytest.approx(4.5)
    mixed = expected_rate("You say xièxie, 谢谢. Try it: xièxie!", 0.9)
    assert 3.5 * 0.9 < mixed < 4.5 * 0.9


def test_the_pace_of_a_reply_too_short_to_measure_is_not_judged(embedder: SentenceEmbedder) -> None:
    """Lin's "Nice to meet you. 你好！" (6 words, two phrases) took 3.6 s: the pause between its phrases, not her
    pace. A longer reply that slow still fails."""
    script = load_script(SEED_DIR / "checks" / "lin-tutor.json")
    persona = PersonaSpec.model_validate(_spec("personas", "lin-tutor"))
    expect = script.expectations_for(2)

    def pace(text: str, seconds: float) -> bool:
        results = score_reply(Reply(text, seconds, seconds), expect, persona=persona, speed=0.81, embedder=embedder)
        return next(r for r in results if r.check == "speaking_rate").passed

    assert pace("Nice to meet you. 你好！", 3.6)
    assert not pace("You can say: Nice to meet you. Now you try it, and say it slowly with me.", 10.0)
