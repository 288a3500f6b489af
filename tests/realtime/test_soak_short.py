"""A 30-second version of `stepaudio-ui bench soak`: a conversation loop on the real embedded engine
whose resident memory must stay within the soak's bound over the second half (after a warm-up pass
through every prompt; memory arenas grow in steps to the longest input and then stay)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from stepaudio_ui.bench.soak import DEFAULT_BOUND_MB, soak

pytestmark = pytest.mark.models


def test_thirty_second_conversation_loop_stays_within_the_memory_bound(unpaced_engine: Any, output_dir: Path) -> None:
    result = asyncio.run(soak(unpaced_engine, seconds=30, sample_s=5, warmup_turns=6))
    (output_dir / "soak-30s.json").write_text(json.dumps(asdict(result), indent=2), encoding="utf-8")
    assert result.turns > result.warmup_turns  # the loop really held a conversation
    assert len(result.samples) >= 2
    assert result.within_bound and result.late_growth_mb <= DEFAULT_BOUND_MB, (
        f"RSS grew {result.late_growth_mb} MB over the second half: {result.samples}"
    )
