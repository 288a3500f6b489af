"""Field-level diff between two specs (persona or scene tone): pure, no database.

Nested models (traits, guardrails, turn_taking) and lists of models (examples) are walked, so a
change reads "traits.warmth" or "examples[1].user"; lists of plain values (tags, avoid_topics) are
compared whole, because "tags[3]" says less to a writer than the old and new list side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class FieldChange:
    path: str  # "name", "traits.warmth", "examples[1].user"; a whole item added/removed: "examples[2]"
    before: Any  # None when the field or item did not exist before
    after: Any  # None when it no longer exists


def _as_plain(spec: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(spec, BaseModel):
        return spec.model_dump(mode="json")
    if isinstance(spec, Mapping):
        return dict(spec)
    raise TypeError(f"diff_specs compares specs or dicts, got {type(spec).__name__}")


def _walk(path: str, before: Any, after: Any, out: list[FieldChange]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            _walk(f"{path}.{key}" if path else key, before.get(key), after.get(key), out)
        return
    if isinstance(before, list) and isinstance(after, list) and _holds_objects(before, after):
        for index in range(max(len(before), len(after))):
            old = before[index] if index < len(before) else None
            new = after[index] if index < len(after) else None
            item_path = f"{path}[{index}]"
            if old is None or new is None:
                if old != new:
                    out.append(FieldChange(item_path, old, new))
            else:
                _walk(item_path, old, new, out)
        return
    out.append(FieldChange(path, before, after))


def _holds_objects(before: list[Any], after: list[Any]) -> bool:
    items = before + after
    return bool(items) and all(isinstance(item, dict) for item in items)


def diff_specs(a: BaseModel | Mapping[str, Any], b: BaseModel | Mapping[str, Any]) -> list[FieldChange]:
    """What changed from `a` to `b`, in field order. Both must be the same kind of spec."""
    if isinstance(a, BaseModel) and isinstance(b, BaseModel) and type(a) is not type(b):
        raise TypeError(f"cannot diff a {type(a).__name__} against a {type(b).__name__}")
    changes: list[FieldChange] = []
    _walk("", _as_plain(a), _as_plain(b), changes)
    return changes


def changed_fields_text(changes: list[FieldChange], limit: int = 8) -> str:
    """'name, traits.warmth and 3 more' for messages."""
    paths = [change.path for change in changes]
    if not paths:
        return "nothing"
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")
