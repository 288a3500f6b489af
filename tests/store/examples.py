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


def card_json(**data: Any) -> dict[str, Any]:
    base = {
        "name": "Seraphina",
        "description": "{{char}} is a forest guardian.",
        "personality": "gentle, protective",
        "scenario": "{{user}} is lost in the forest.",
        "first_mes": "Welcome, traveller. I am {{char}}.",
        "mes_example": "<START>\n{{user}}: Who are you?\n{{char}}: I am {{char}}, keeper of\nthis glade.\n"
        "<START>\n{{user}}: Help me, {{char}}!\n{{char}}: Stay close, {{user}}.",
        "creator_notes": "A kind guardian.\nLonger notes follow.",
        "system_prompt": "Stay in character.",
        "tags": ["Fantasy", "guardian", "fantasy"],
        "character_version": "3.1",
        "character_book": {"entries": []},
        "extensions": {"other_app": {"x": 1}},
    }
    base.update(data)
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": base}
