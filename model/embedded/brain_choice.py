"""Which brain a session of the embedded engine gets, what a picker offers, and what a record keeps.

Packaged brains are chosen per session (`SessionConfig.brain`, default the `STEPAUDIO_LLM` setting). A
GGUF path or an OpenAI-compatible URL in the settings replaces them: every session then uses that one.
"""

from __future__ import annotations

from model.embedded.models import EmbeddedOptions
from model.embedded.reply.brains import BRAINS, brain_by_id


class BrainChoiceError(ValueError):
    """A brain a session cannot have here; the message says how to get it or what to pick instead."""


def own_brain_id(options: EmbeddedOptions) -> str | None:
    """The id of a brain of your own (an endpoint or a GGUF file), or None when packaged brains are used."""
    if options.openai_url:
        return f"openai:{options.openai_model}"
    if options.gguf_path is not None:
        return f"gguf:{options.gguf_path.name}"
    return None


def brain_choices(options: EmbeddedOptions) -> list[tuple[str, str]]:
    """(label, id) for the brain pickers: installed brains first (the default leading), then the rest,
    each label saying how to add it."""
    own = own_brain_id(options)
    if own is not None:
        return [(f"{own} (set in the settings)", own)]
    installed = [brain for brain in BRAINS if brain.installed()]
    installed.sort(key=lambda brain: brain.id != options.brain)
    choices = [
        (f"{brain.name}{' (default)' if brain.id == options.brain else ''}: {', '.join(brain.languages)}", brain.id)
        for brain in installed
    ]
    choices += [
        (f"{brain.name}: not installed, add it with `{brain.install_command()}`", brain.id)
        for brain in BRAINS
        if brain not in installed
    ]
    return choices


def brain_card(options: EmbeddedOptions, brain_id: str) -> dict[str, object]:
    """The card a conversation records: the id, a name and the card's lines."""
    own = own_brain_id(options)
    if own is not None and brain_id == own:
        where = options.openai_url if options.openai_url else str(options.gguf_path)
        return {"id": own, "name": own, "card": [f"Brain of your own: {where}", "Provenance: not on record here"]}
    brain = brain_by_id(brain_id)
    return {"id": brain.id, "name": brain.name, "sha256": brain.sha256, "card": brain.card_lines()}


def brain_markdown(options: EmbeddedOptions, brain_id: str) -> str:
    """The brain card for people, shown beside a brain picker."""
    card = brain_card(options, brain_id)
    lines = [str(line) for line in card["card"]]  # type: ignore[union-attr]
    try:
        brain = brain_by_id(brain_id)
    except ValueError:
        brain = None
    if brain is not None and not brain.installed():
        lines.append(f"Not installed here: add it with `{brain.install_command()}`")
    return "**Brain card**\n\n" + "\n".join(f"- {line}" for line in lines)
