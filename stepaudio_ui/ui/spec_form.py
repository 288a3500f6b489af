"""A form <-> spec binding: which component edits which (dotted) spec field, and how values convert.

Both editors (personas, scene tones) are a list of these bindings; the generic versioned editor
in `versioning.py` only ever sees a `SpecForm`, so the two panels share all their logic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr
from pydantic import BaseModel

from stepaudio_ui.ui.i18n import i18n, resolved, tr


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class FieldBinding:
    path: str  # dotted path in the spec's model_dump(), e.g. "traits.warmth"
    component: gr.components.Component
    to_spec: Callable[[Any], Any] = _same  # form value -> spec value
    to_form: Callable[[Any], Any] = _same  # spec value -> form value


@dataclass(frozen=True)
class SpecForm:
    kind: str  # "persona" or "scene"
    spec_type: type[BaseModel]
    fields: tuple[FieldBinding, ...]
    template: BaseModel  # what "New" puts in the form: a friendly starting point (in English)
    template_texts: tuple[tuple[str, str], ...] = ()  # (field, catalog key) of the template's words

    @property
    def components(self) -> list[gr.components.Component]:
        return [binding.component for binding in self.fields]

    @property
    def labels(self) -> dict[str, str]:
        """Dotted path -> the label the user sees (in their language), for error messages that name the field."""
        return {binding.path: resolved(binding.component.label or binding.path) for binding in self.fields}

    def template_for_reader(self) -> BaseModel:
        """The template with its words in the reader's language."""
        return self.template.model_copy(update={field: tr(key) for field, key in self.template_texts})

    def to_spec(self, values: Sequence[Any]) -> BaseModel:
        """Form values (in `components` order) -> a validated spec. Raises pydantic.ValidationError."""
        data: dict[str, Any] = {}
        for binding, value in zip(self.fields, values, strict=True):
            _set_path(data, binding.path, binding.to_spec(value))
        return self.spec_type.model_validate(data)

    def to_form(self, spec: BaseModel | dict[str, Any]) -> list[Any]:
        dumped = spec.model_dump(mode="json") if isinstance(spec, BaseModel) else spec
        return [binding.to_form(_get_path(dumped, binding.path)) for binding in self.fields]

    def show_initially(self, spec: BaseModel) -> None:
        """Make `spec` the value the page first renders, so a fresh form shows the spec's defaults
        (not each widget's own: sliders at their minimum, a dropdown's first choice)."""
        for component, value in zip(self.components, self.to_form(spec), strict=True):
            shown = component.postprocess(value)  # what Gradio stores for a `value=` given at construction
            component.value = shown.model_dump() if isinstance(shown, BaseModel) else shown

    def show_template_initially(self) -> None:
        """The template as the page's first values, its words as i18n markers: the page is built once for every
        reader, so the browser puts them in the page's language (and sends back what it shows)."""
        self.show_initially(self.template)
        by_path = {binding.path: binding.component for binding in self.fields}
        for path, key in self.template_texts:
            by_path[path].value = i18n(key)


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[leaf] = value


def _get_path(data: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


# ---------------------------------------------------------------- converters shared by the forms


def lines_to_list(text: str | None) -> list[str]:
    """One item per line; blank lines ignored."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def list_to_lines(items: list[str] | None) -> str:
    return "\n".join(items or [])


def commas_to_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace("，", ",").split(",") if part.strip()]


def list_to_commas(items: list[str] | None) -> str:
    return ", ".join(items or [])


def blank_to_none(value: str | None) -> str | None:
    return value or None


def none_to_blank(value: str | None) -> str:
    return value or ""


def table_to_pairs(keys: tuple[str, str]) -> Callable[[Any], list[dict[str, str]]]:
    """An editable two-column table -> [{keys[0]: .., keys[1]: ..}]; fully blank rows are dropped."""

    def convert(rows: Any) -> list[dict[str, str]]:
        if hasattr(rows, "values") and hasattr(rows, "columns"):  # a pandas frame, if type isn't "array"
            rows = rows.values.tolist()
        if isinstance(rows, dict):  # a table as `pairs_to_table` writes it
            rows = rows.get("data")
        pairs = []
        for row in rows or []:
            first, second = (("" if cell is None else str(cell)).strip() for cell in (list(row) + ["", ""])[:2])
            if first or second:
                pairs.append({keys[0]: first, keys[1]: second})
        return pairs

    return convert


def pairs_to_table(keys: tuple[str, str], headers: Callable[[], list[str]]) -> Callable[[Any], dict[str, Any]]:
    """[{keys[0]: .., keys[1]: ..}] -> the table, its column headers in the reader's language."""

    def convert(pairs: Any) -> dict[str, Any]:
        rows = [[pair[keys[0]], pair[keys[1]]] for pair in pairs or []] or [["", ""]]
        return {"headers": headers(), "data": rows}

    return convert


def whole_number(value: float | None) -> int | None:
    """Sliders send floats (3.0); integer spec fields want 3."""
    return None if value is None else int(round(value))
