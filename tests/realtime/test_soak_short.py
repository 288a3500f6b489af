"""A 30-second version of `stepaudio-ui bench soak`: a conversation loop on the real embedded engine.

Measured with the 10-minute bench: the embedded engine's RSS grows in steps of 35-110 MB at roughly
doubling turn counts (turns ~9, ~23, ~47) and is nearly flat in between, so a 30-second window can
hold one step. This short run therefore guards against runaway growth (hundreds of MB in 30 s) and
checks that the loop really converses; the stated 64 MB bound is judged by the 10-minute bench.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from stepaudio_ui.bench.soak import soak

pytestmark = pytest.mark.models

RUNAWAY_MB = 256.0  # one observed step is <= 110 MB; two at once in 30 s would be a new problem


def test_thirty_second_conversation_loop_has_no_runaway_memory_growth(unpaced_engine: Any, output_dir: Path) -> None:
    result = asyncio.run(soak(unpaced_engine, seconds=30, sample_s=5, warmup_turns=6, bound_mb=RUNAWAY_MB))
    (output_dir / "soak-30s.json").write_text(json.dumps(asdict(result), indent=2), encoding="utf-8")
    assert result.turns > result.warmup_turns  # the loop really held a conversation
    assert len(result.samples) >= 2
    assert result.growth_mb <= RUNAWAY_MB, f"RSS grew {result.growth_mb} MB in 30 s: {result.samples}"
