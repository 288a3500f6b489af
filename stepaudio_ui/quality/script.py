"""Check scripts: the scripted conversation a persona version must get through, and what each reply must do.

A script is a JSON file (seed scripts live in `stepaudio_ui/seeds/checks/<persona-slug>.json`):

    {"persona": "nova-in-car", "scene": "in-car",
     "every_turn": {"language": "en", "max_sentences": 3, "min_in_character": 0.2},
     "greeting": {"must_mention_any": ["Nova"]},
     "turns": [{"say": "Find me a charger.", "expect": {"must_mention_any": ["charg"]}},
               {"audio": "clips/cold.wav", "expect": {"max_audio_seconds": 12}}]}

`every_turn` applies to every user turn (not to the greeting); a turn's own `expect` adds to it and wins
where both set the same limit. Phrases match case-insensitively as substrings ("charg" matches
"charger" and "charging"). Audio clip paths are relative to the script file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(BaseModel):
    # forbid: a typo ("must_mention_al") must be an error that names it, not a check that silently never runs.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expectations(_Strict):
    language: Literal["en", "zh"] | None = Field(None, description="language the reply must be in")
    max_sentences: int | None = Field(None, ge=1, le=50)
    min_words: int | None = Field(None, ge=0, le=2_000)
    max_words: int | None = Field(None, ge=1, le=2_000)
    max_audio_seconds: float | None = Field(None, gt=0, le=600)
    must_mention: list[Phrase] = Field(default_factory=list, max_length=30, description="every one must appear")
    must_mention_any: list[Phrase] = Field(default_factory=list, max_length=30, description="at least one must appear")
    never_say: list[Phrase] = Field(default_factory=list, max_length=50, description="guardrail phrases")
    never_topics: list[Phrase] = Field(
        default_factory=list, max_length=30, description="guardrail topics, judged by embedding similarity"
    )
    persona_guardrails: bool = Field(
        True, description="also enforce the persona's own avoid_phrases / avoid_topics on this reply"
    )
    topic_threshold: float = Field(
        0.6, ge=0.0, le=1.0, description="similarity to a never-topic at or above which the reply fails"
    )
    min_in_character: float | None = Field(
        None, ge=-1.0, le=1.0, description="least similarity to the persona's character text and example lines"
    )
    pacing_tolerance: float | None = Field(
        None, gt=0, le=5, description="allowed relative deviation of the speaking rate from the scene's pacing"
    )
    discloses_ai: bool = Field(False, description="the reply must say it is an AI voice")

    def merged_over(self, base: Expectations) -> Expectations:
        """`base` with this turn's settings on top (lists add up; limits set here win)."""
        values = base.model_dump()
        for name, value in self.model_dump(exclude_unset=True).items():
            if isinstance(value, list):
                values[name] = [*values[name], *[v for v in value if v not in values[name]]]
            else:
                values[name] = value
        return Expectations.model_validate(values)


class Turn(_Strict):
    say: str | None = Field(None, min_length=1, max_length=2_000, description="typed user text")
    audio: Path | None = Field(None, description="a WAV clip of the user speaking, relative to the script")
    expect: Expectations = Field(default_factory=Expectations)

    @model_validator(mode="after")
    def _one_input(self) -> Turn:
        if (self.say is None) == (self.audio is None):
            raise ValueError('each turn needs exactly one of "say" (typed text) or "audio" (a WAV path)')
        return self


class CheckScript(_Strict):
    persona: str = Field(min_length=1, max_length=63, description="slug of the persona this script checks")
    scene: str | None = Field(
        None,
        max_length=63,
        description="scene-tone slug, or 'none' (default: the persona version's home scene; the run can override it)",
    )
    description: str = Field("", max_length=1_000)
    every_turn: Expectations = Field(default_factory=Expectations)
    greeting: Expectations | None = Field(None, description="expectations on the spoken greeting, if any")
    turns: list[Turn] = Field(default_factory=list, max_length=30)

    @model_validator(mode="after")
    def _checks_something(self) -> CheckScript:
        if not self.turns and self.greeting is None:
            raise ValueError('a check script needs "turns" (at least one) or "greeting" expectations')
        return self

    def expectations_for(self, index: int) -> Expectations:
        return self.turns[index].expect.merged_over(self.every_turn)


class ScriptError(ValueError):
    """A check script that cannot be used; the message names the file, the field and the fix."""


def parse_script(text: str, *, source: str = "check script", base_dir: Path | None = None) -> CheckScript:
    try:
        script = CheckScript.model_validate_json(text)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in error.errors()
        )
        raise ScriptError(f"{source} is not a valid check script: {problems}") from error
    if base_dir is not None:
        turns = [t.model_copy(update={"audio": base_dir / t.audio}) if t.audio else t for t in script.turns]
        script = script.model_copy(update={"turns": turns})
    for index, turn in enumerate(script.turns, start=1):
        if turn.audio is not None and not turn.audio.is_file():
            raise ScriptError(f"{source}: turn {index} audio clip {turn.audio} does not exist; fix the path")
    return script


def load_script(path: Path) -> CheckScript:
    """Read and validate a script file; audio paths become relative to its folder."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScriptError(f"cannot read check script {path}: {error.strerror}") from error
    return parse_script(text, source=str(path), base_dir=path.parent)


def script_json(script: CheckScript) -> str:
    return json.dumps(script.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
