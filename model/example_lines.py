"""How composed instructions spell a persona's example lines.

The studio's composer writes each example exchange into the instructions with `example_line`, so every
engine reads them; the embedded engine, which shows them to its small brain as real turns instead, takes
them out of the instructions again with `instructions_without_examples`. One spelling for both sides.
"""

from __future__ import annotations

from collections.abc import Sequence

from model.events import FewShotTurn

_EXAMPLE_PREFIX = "Example - User: "


def example_line(user: str, assistant: str) -> str:
    """How an example exchange reads inside composed instructions."""
    return f"{_EXAMPLE_PREFIX}{user} / You: {assistant}"


def instructions_without_examples(instructions: str, examples: Sequence[FewShotTurn]) -> str:
    """The instructions less the example lines that `examples` will show as turns."""
    lines = {example_line(example.user, example.assistant) for example in examples}
    return "\n".join(line for line in instructions.splitlines() if line not in lines)
