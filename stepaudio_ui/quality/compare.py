"""Compare two check runs check by check: which flipped between pass and fail, which scores moved."""

from __future__ import annotations

from dataclasses import dataclass

from stepaudio_ui.quality.runs import RunRecord
from stepaudio_ui.quality.scorers import CheckResult

SCORE_EPSILON = 1e-3  # smaller changes are rounding, not movement


@dataclass(frozen=True)
class FlippedCheck:
    turn_index: int
    check: str
    before_passed: bool
    after_passed: bool


@dataclass(frozen=True)
class MovedScore:
    turn_index: int
    check: str
    before: float
    after: float


@dataclass(frozen=True)
class RunComparison:
    before: RunRecord
    after: RunRecord
    flipped: list[FlippedCheck]
    moved: list[MovedScore]
    only_before: list[str]  # "turn N check" present in one run only (the scripts differ)
    only_after: list[str]

    @property
    def regressions(self) -> list[FlippedCheck]:
        return [f for f in self.flipped if f.before_passed and not f.after_passed]


def _by_key(run: RunRecord) -> dict[tuple[int, str], CheckResult]:
    return {(reply.turn_index, result.check): result for reply in run.replies for result in reply.results}


def compare_runs(before: RunRecord, after: RunRecord) -> RunComparison:
    a, b = _by_key(before), _by_key(after)
    flipped: list[FlippedCheck] = []
    moved: list[MovedScore] = []
    for key in sorted(a.keys() & b.keys()):
        old, new = a[key], b[key]
        if old.passed != new.passed:
            flipped.append(FlippedCheck(key[0], key[1], old.passed, new.passed))
        if old.score is not None and new.score is not None and abs(new.score - old.score) > SCORE_EPSILON:
            moved.append(MovedScore(key[0], key[1], old.score, new.score))
    return RunComparison(
        before=before,
        after=after,
        flipped=flipped,
        moved=moved,
        only_before=[f"turn {t} {c}" for t, c in sorted(a.keys() - b.keys())],
        only_after=[f"turn {t} {c}" for t, c in sorted(b.keys() - a.keys())],
    )
