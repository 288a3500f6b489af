"""Safe rendering shared by the panels: status lines, tables, user-facing errors.

Persona text is written by people and imported from files, so it is always escaped before it
reaches HTML; tables use Gradio's plain-text cells.
"""

from __future__ import annotations

import functools
import html
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal, ParamSpec, TypeVar

import gradio as gr
from pydantic import ValidationError

from stepaudio_ui.ui.i18n import tr

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
Tone = Literal["ok", "info", "warn", "error"]


def status_html(message: str, tone: Tone = "info", css_class: str = "status") -> str:
    """A one-line banner; `message` is escaped, never interpreted as HTML."""
    return f'<div class="{css_class} status-{tone}" role="status">{html.escape(message)}</div>'


def cell(value: Any) -> str:
    """Any spec value as short readable text for a table cell."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return tr("render.yes") if value else tr("render.no")
    if isinstance(value, int | float):
        return f"{value:g}"
    return json.dumps(value, ensure_ascii=False)


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


def describe_validation_error(error: ValidationError, labels: dict[str, str]) -> str:
    """'Character / system prompt (character): String should have at least 1 character' per problem.

    `labels` maps dotted field paths to the form label, so the message names what the user sees.
    """
    problems = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        problems.append(f"{_label_for(path, labels)} ({path}): {item['msg']}")
    return tr("render.please_fix", problems="; ".join(problems))


def _label_for(path: str, labels: dict[str, str]) -> str:
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        label = labels.get(".".join(parts[:end]))
        if label:
            row = parts[end] if end < len(parts) and parts[end].isdigit() else None
            return tr("render.row", label=label, row=int(row) + 1) if row is not None else label
    return path


def user_errors(
    labels: dict[str, str] | None = None, expected: tuple[type[Exception], ...] = ()
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Turn studio and validation errors into a `gr.Error` toast instead of a traceback.

    `expected` are the studio's own error types (their messages are written for people).
    """

    def decorate(handler: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(handler)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return handler(*args, **kwargs)
            except gr.Error:
                raise
            except ValidationError as error:
                raise gr.Error(describe_validation_error(error, labels or {}), duration=None) from error
            except expected as error:
                message = str(error)  # written for people, often starting lower-case for CLI output
                raise gr.Error(message[:1].upper() + message[1:], duration=None) from error
            except Exception as error:  # a bug: log it fully, show the user something calm
                logger.exception("Handler %s failed", handler.__name__)
                raise gr.Error(tr("render.went_wrong", error=type(error).__name__)) from error

        return wrapper

    return decorate


def rows_or_blank(rows: Sequence[Sequence[str]], width: int) -> list[list[str]]:
    """Gradio tables render an empty list badly: show one blank row instead."""
    return [list(row) for row in rows] or [[""] * width]
