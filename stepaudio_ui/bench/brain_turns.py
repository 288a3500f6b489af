"""The persona turns `stepaudio-ui bench brain` puts to every brain: the same words for each, English and
Chinese, each with the words a relevant reply names (matched case-insensitively as substrings).

A Chinese turn goes only to personas that speak Chinese (`both` or `zh`): an English-only persona is told
to answer in English, which is not what "a Chinese turn answered in Chinese" measures.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BenchTurn:
    persona: str
    scene: str
    text: str
    language: str  # the language the reply must be in
    relevant: tuple[str, ...]  # a reply that names any of these answers what was asked


# Personas in an order that mixes the languages early: a run stopped part-way (`--partial-out`) still has both.
TURNS: tuple[BenchTurn, ...] = (
    BenchTurn("nova-in-car", "in-car", "Find me a charger nearby.", "en", ("charg",)),
    BenchTurn("nova-in-car", "in-car", "My brakes feel strange.", "en", ("brake", "pull over", "stop", "safe")),
    BenchTurn("xiaoxing-service", "zh-hotline", "我的手机充不进电。", "zh", ("充电", "电池", "充电器", "数据线")),
    BenchTurn("xiaoxing-service", "zh-hotline", "屏幕突然不亮了怎么办？", "zh", ("屏幕", "重启", "开机", "电源")),
    BenchTurn("xiaoxing-service", "zh-hotline", "手机发烫正常吗？", "zh", ("热", "烫", "温度")),
    BenchTurn("sam-support", "support-desk", "My wifi keeps dropping!", "en", ("wifi", "wi-fi", "router", "connect")),
    BenchTurn(
        "sam-support", "support-desk", "I already restarted the router.", "en", ("router", "cable", "light", "reset")
    ),
    BenchTurn("lin-tutor", "quiet-library", "How do I say thank you in Chinese?", "en", ("谢谢", "xie")),
    BenchTurn("lin-tutor", "quiet-library", "“早上好”用英文怎么说？", "zh", ("good morning",)),
    BenchTurn("lin-tutor", "quiet-library", "我想练习英语口语。", "zh", ("英语", "english", "练习")),
    BenchTurn("aurelia-concierge", "showroom-demo", "Is the spa open tonight?", "en", ("spa",)),
    BenchTurn("aurelia-concierge", "showroom-demo", "What time is breakfast served?", "en", ("breakfast", "morning")),
    BenchTurn("luna-storyteller", "bedtime-story", "A dragon story please!", "en", ("dragon",)),
    BenchTurn("luna-storyteller", "bedtime-story", "给我讲一个小猫的故事。", "zh", ("猫",)),
    BenchTurn("captain-grizzle", "showroom-demo", "How do I tie a knot?", "en", ("knot", "rope", "loop")),
    BenchTurn("captain-grizzle", "showroom-demo", "Tell me about your ship.", "en", ("ship", "sail", "deck", "vessel")),
)

# A long conversation: each seed persona's own opening turns, then follow-ups that keep it going without
# new facts, so what is measured is whether the persona holds, not what it knows.
FOLLOW_UPS = {
    "en": (
        "Tell me more about that.",
        "Why is that?",
        "What would you suggest I do next?",
        "Can you say that more simply?",
        "What do you think about that?",
        "Is there anything else I should know?",
        "Okay. And after that?",
        "That's interesting. Go on.",
        "Can you give me an example?",
        "Thanks. One more question: what matters most here?",
        "Alright, let's sum up.",
    ),
    "zh": (
        "能再详细说说吗？",
        "为什么会这样？",
        "那我下一步应该怎么做？",
        "能说得更简单一点吗？",
        "你觉得呢？",
        "还有什么需要注意的吗？",
        "好的，然后呢？",
        "明白了，请继续。",
        "能举个例子吗？",
        "谢谢。最后一个问题：最重要的是什么？",
        "好的，帮我总结一下。",
    ),
}

LONG_SCENES = {
    "nova-in-car": "in-car",
    "xiaoxing-service": "zh-hotline",
    "sam-support": "support-desk",
    "aurelia-concierge": "showroom-demo",
    "captain-grizzle": "showroom-demo",
    "lin-tutor": "quiet-library",
    "luna-storyteller": "bedtime-story",
}
DEFAULT_LONG_PERSONAS = ("nova-in-car", "xiaoxing-service")  # one English, one Chinese: practical on 2 cores


def long_conversation(persona: str, turns: int) -> list[str]:
    """`turns` user turns for `persona`: its bench turns first, then the follow-ups in its language."""
    own = [turn for turn in TURNS if turn.persona == persona]
    language = own[0].language if own and all(t.language == own[0].language for t in own) else "en"
    said = [turn.text for turn in own if turn.language == language][:2]
    follow = FOLLOW_UPS[language]
    while len(said) < turns:
        said.append(follow[(len(said) - 2) % len(follow)] if len(said) >= 2 else follow[0])
    return said[:turns]
