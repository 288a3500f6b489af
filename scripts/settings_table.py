"""Print the README's settings table from the Settings class (the single source of truth).

Usage: python scripts/settings_table.py [--write]   (--write updates README.md between its markers)
tests/test_readme.py fails when the README's table and the Settings class disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pydantic.fields import FieldInfo

from stepaudio_ui.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def settings_table() -> str:
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        env = f"STEPAUDIO_{name.upper()}"
        rows.append(f"| `{env}` | {default_text(field)} | {(field.description or '').replace('|', '/')} |")
    return "\n".join(rows)


def default_text(field: FieldInfo) -> str:
    """The default as the table shows it: "required", "—" for unset or empty, else the value."""
    if field.is_required():
        return "required"
    # get_default runs default_factory (a list or dict setting); `field.default` would be PydanticUndefined.
    default = field.get_default(call_default_factory=True)
    return "—" if default in (None, "", [], {}) else f"`{default}`"


def write_readme() -> None:
    text = README.read_text(encoding="utf-8")
    block = "<!-- settings:start -->\n" + settings_table() + "\n<!-- settings:end -->"
    README.write_text(re.sub(r"<!-- settings:start -->\n.*?<!-- settings:end -->", lambda _: block, text, flags=re.S))


if __name__ == "__main__":
    if "--write" in sys.argv:
        write_readme()
    else:
        sys.stdout.write(settings_table() + "\n")
