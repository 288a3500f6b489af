"""Composition: (persona version, scene version) -> the session config every engine uses.

Pure and deterministic: the same two specs always give the same text, so a preview in the UI is
exactly what the engine receives, and a conversation's record of versions reproduces its prompt.
`scene=None` is "no scene tone": no scene text, and the persona's own register, speed and language under
the neutral frame's defaults (`NEUTRAL_FRAME`) for reply length and turn-taking.
"""

from __future__ import annotations

import re

from model.events import FewShotTurn, SessionConfig, TurnDetection
from model.example_lines import example_line
from stepaudio_ui.studio.specs import PersonaSpec, SceneSpec

_LANGUAGE_RULES = {
    "en": "Always answer in English.",
    "zh": "Always answer in Mandarin Chinese (简体中文).",
    "both": "Answer in the language the user speaks: English or Mandarin Chinese (简体中文).",
}
_ENGINE_LANGUAGE = {"en": "en", "zh": "zh", "both": "auto"}
# What a conversation without a scene tone gets where a scene would set something: the spec's defaults.
NEUTRAL_FRAME = SceneSpec(name="No scene tone")


def _describe_level(value: float, low: str, high: str) -> str | None:
    """Turn a 0-1 trait into words; the neutral middle says nothing (keeps prompts short)."""
    if value >= 0.8:
        return f"very {high}"
    if value >= 0.62:
        return high
    if value <= 0.2:
        return f"very {low}"
    if value <= 0.38:
        return low
    return None


def trait_words(persona: PersonaSpec, scene: SceneSpec | None) -> list[str]:
    t = persona.traits
    # the scene pulls the persona's register; without one the persona keeps its own
    formality = t.formality if scene is None else (t.formality + scene.formality) / 2
    pairs = [
        (t.warmth, "cool and reserved", "warm and caring"),
        (t.temper, "patient and calm", "quick-tempered and blunt"),
        (t.energy, "relaxed and low-key", "energetic and lively"),
        (formality, "casual", "formal"),
        (t.humor, "serious", "playful and funny"),
    ]
    return [word for value, low, high in pairs if (word := _describe_level(value, low, high))]


def effective_language(persona: PersonaSpec, scene: SceneSpec | None) -> str:
    return (scene.language_override if scene else None) or persona.language


def compose_instructions(persona: PersonaSpec, scene: SceneSpec | None) -> str:
    language = effective_language(persona, scene)
    lines: list[str] = [f"You are {persona.name}." + (f" {persona.tagline}" if persona.tagline else "")]
    lines.append(persona.character)
    words = trait_words(persona, scene)
    if words:
        lines.append("Your manner: " + ", ".join(words) + ".")
    if persona.speaking_style:
        lines.append(f"How you speak: {persona.speaking_style}")
    if scene is not None:
        scene_bits = [f"Scene: {scene.name}."]
        if scene.description:
            scene_bits.append(scene.description)
        if scene.mood:
            scene_bits.append(f"Mood: {scene.mood}.")
        if scene.context:
            scene_bits.append(f"Situation: {scene.context}")
        lines.append(" ".join(scene_bits))
    verbosity = (scene or NEUTRAL_FRAME).verbosity
    lines.append(
        f"This is a spoken conversation: reply in at most {verbosity} short "
        f"sentence{'s' if verbosity > 1 else ''}, plain words, no lists, no markdown, no emoji."
    )
    lines.append(_LANGUAGE_RULES[language])
    guard = persona.guardrails
    if guard.avoid_topics:
        lines.append("Never discuss: " + "; ".join(guard.avoid_topics) + ". Politely steer away.")
    if guard.avoid_phrases:
        lines.append("Never say: " + "; ".join(f'"{p}"' for p in guard.avoid_phrases) + ".")
    for example in persona.examples:
        lines.append(example_line(example.user, example.assistant))
    lines.append(f"Stay in character as {persona.name}.")
    return "\n".join(lines)


_AI_DISCLOSURE = {"en": "Just so you know, I'm an AI voice.", "zh": "温馨提示：我是AI语音助手。"}
_MENTIONS_AI = re.compile(r"(?<![A-Za-z])(AI|A\.I\.)(?![A-Za-z])|artificial intelligence|人工智能", re.IGNORECASE)


def compose_greeting(persona: PersonaSpec, scene: SceneSpec | None) -> str | None:
    """The persona's greeting; when the scene requires AI disclosure and the greeting does not already
    say so, a disclosure sentence in the conversation's language is appended (or is the whole greeting)."""
    greeting = persona.greeting or ""
    if getattr(scene, "require_ai_disclosure", False) and not _MENTIONS_AI.search(greeting):
        language = "zh" if effective_language(persona, scene) == "zh" else "en"
        separator = "" if not greeting or language == "zh" else " "
        greeting = f"{greeting}{separator}{_AI_DISCLOSURE[language]}"
    return greeting or None


def compose_session(persona: PersonaSpec, scene: SceneSpec | None) -> SessionConfig:
    """The single session config for any engine (sent as `session.update`); `scene=None`: no scene tone."""
    frame = scene or NEUTRAL_FRAME
    return SessionConfig(
        modalities=["text", "audio"],
        instructions=compose_instructions(persona, scene),
        voice=persona.voice,
        speed=round(persona.speed * frame.pacing, 3),
        language=_ENGINE_LANGUAGE[effective_language(persona, scene)],
        turn_detection=TurnDetection(
            type="server_vad",
            silence_duration_ms=frame.turn_taking.silence_ms,
            interrupt_response=frame.turn_taking.allow_interrupt,
        ),
        input_audio_transcription={"model": "whisper"},
        greeting=compose_greeting(persona, scene),
        max_sentences=frame.verbosity,
        # Also as turns: a small chat model follows examples it is shown as a conversation far better
        # than ones described in its instructions (the embedded engine takes them out of the text then).
        examples=[FewShotTurn(user=e.user, assistant=e.assistant) for e in persona.examples] or None,
    )
