"""What every `stepaudio-ui` command prints: results for people on stdout, errors on stderr."""

from __future__ import annotations

import sys


def out(text: str) -> None:
    sys.stdout.write(text + "\n")


def err(text: str) -> None:
    sys.stderr.write(f"stepaudio-ui: {text}\n")
