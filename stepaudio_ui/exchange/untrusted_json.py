"""JSON from a file someone gave us (an import, a card's PNG chunk), parsed so no file can crash the import.

`json.loads` alone turned hostile files into crashes instead of errors a person can act on: arrays nested
100,000 deep raised RecursionError, a 5,000-digit number ValueError (Python's int-string limit), and
NaN / Infinity were accepted although JSON has no such numbers. Here each is an `ImportProblem` naming the
file and the place in it, and so are values nested deeper than any file of ours, and NUL characters (which
PostgreSQL cannot store in text: the import would otherwise fail at the database, past the checks).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from stepaudio_ui.studio.core import ImportProblem

MAX_DEPTH = 64  # our deepest file (a library's persona guardrails) is 8 levels; cards' extensions a few more
Where = tuple[Any, str | int] | None  # (parent path, key): built in O(1) per value, spelled out only on error


def loads(text: str | bytes, source_name: str) -> Any:
    """Parse `text`; json.JSONDecodeError (bad syntax) is left to the caller, which knows how to name the file."""

    def refuse_constant(constant: str) -> Any:
        raise ImportProblem(
            f"{source_name} holds {constant}, but {constant} is not a JSON number; export the file again"
        )

    try:
        value = json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise ImportProblem(_too_deep(source_name, None)) from None
    except ValueError as error:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise ImportProblem(
            f"{source_name} holds a number with more than {sys.get_int_max_str_digits():,} digits; "
            f"no field of an import file takes one that long ({error})"
        ) from None
    check_values(value, source_name)
    return value


def check_values(value: Any, source_name: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH and NUL characters in strings; iterative, linear in the size."""
    stack: list[tuple[Any, int, Where]] = [(value, 1, None)]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ImportProblem(
                    f"{source_name}: {_spell(path)} contains a NUL character (\\u0000), which no text field may "
                    "hold; remove it and import again"
                )
            continue
        if isinstance(item, dict):
            children: Any = item.items()
        elif isinstance(item, list):
            children = enumerate(item)
        else:
            continue
        if depth > MAX_DEPTH:
            raise ImportProblem(_too_deep(source_name, path))
        stack.extend((child, depth + 1, (path, key)) for key, child in children)


def _spell(path: Where) -> str:
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    spelled = ""
    for key in reversed(keys):
        spelled += f"[{key}]" if isinstance(key, int) else (f".{key}" if spelled else str(key))
    return spelled or "the top level"


def _too_deep(source_name: str, path: Where) -> str:
    where = f" at {_spell(path)}" if path is not None else ""
    return (
        f"{source_name} is nested too deeply (more than {MAX_DEPTH} levels of arrays and objects inside each "
        f"other{where}); no file the studio or a card editor writes is, so it is damaged or hostile"
    )
