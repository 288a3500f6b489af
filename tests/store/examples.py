"""Small valid specs for store tests."""

from __future__ import annotations

from typing import Any

from stepaudio_ui.studio.specs import ExampleExchange, Guardrails, PersonaSpec, SceneSpec, Traits


def persona_spec(name: str = "Ada", **changes: Any) -> PersonaSpec:
    base: dict[str, Any] = {
        "name": name,
        "tagline": "A calm helper.",
        "language": "en",
        "character": f"You are {name}, a calm helper.",
        "greeting": "Hello!",
        "examples": [ExampleExchange(user="Hi", assistant="Hello there.")],
        "traits": Traits(warmth=0.7),
        "speaking_style": "Short sentences.",
        "guardrails": Guardrails(avoid_topics=["politics"]),
        "tags": ["support", "calm"],
    }
    base.update(changes)
    return PersonaSpec(**base)


def scene_spec(name: str = "In the car", **changes: Any) -> SceneSpec:
    base: dict[str, Any] = {"name": name, "description": "A moving car.", "mood": "calm", "tags": ["automotive"]}
    base.update(changes)
    return SceneSpec(**base)
