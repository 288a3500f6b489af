"""Stored check runs: save one, read one back as a `RunRecord`, list a persona's runs, find a passing one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from stepaudio_ui.quality.scorers import CheckResult
from stepaudio_ui.quality.tables import QualityReply, QualityRun
from stepaudio_ui.studio.store import write_transaction
from stepaudio_ui.voices.provenance import VoiceCard


class RunNotFoundError(LookupError):
    def __init__(self, run_id: int) -> None:
        super().__init__(f"no check run #{run_id}; `stepaudio-ui check SLUG --list` shows the stored runs")


@dataclass(frozen=True)
class ReplyRecord:
    turn_index: int  # 0 = greeting
    user_text: str
    reply_text: str
    audio_path: str | None
    audio_seconds: float
    latency_ms: float | None
    results: list[CheckResult]


@dataclass(frozen=True)
class RunRecord:
    id: int
    persona_slug: str
    persona_version: int
    scene_slug: str | None
    scene_version: int | None
    engine: str
    started_at: datetime
    finished_at: datetime | None
    passed: bool
    failed_checks: int
    total_checks: int
    voice_card: VoiceCard
    replies: list[ReplyRecord]
    temperature: float | None = None  # asked of the engine; None: its own sampling

    @property
    def sampling(self) -> str:
        if self.temperature == 0:
            return "the most likely replies (temperature 0): the same persona version gives the same replies"
        if self.temperature is None:
            return "sampled as in a live conversation: a rerun may reply differently"
        return f"sampled at temperature {self.temperature:g}"

    @property
    def label(self) -> str:
        scene = f" x {self.scene_slug} v{self.scene_version}" if self.scene_slug else ""
        return f"#{self.id} {self.persona_slug} v{self.persona_version}{scene} on {self.engine}"


def save_run(session: Session, *, run: QualityRun, replies: list[QualityReply]) -> int:
    """Store a finished run and its replies in one transaction; returns the run id."""
    with write_transaction(session):
        session.add(run)
        session.flush()
        assert run.id is not None
        for reply in replies:
            reply.run_id = run.id
            session.add(reply)
        run_id = run.id
    return run_id


def _record(run: QualityRun, replies: list[QualityReply]) -> RunRecord:
    assert run.id is not None
    return RunRecord(
        id=run.id,
        persona_slug=run.persona_slug,
        persona_version=run.persona_version,
        scene_slug=run.scene_slug,
        scene_version=run.scene_version,
        engine=run.engine,
        started_at=run.started_at,
        finished_at=run.finished_at,
        passed=run.passed,
        failed_checks=run.failed_checks,
        total_checks=run.total_checks,
        voice_card=VoiceCard.model_validate_json(run.voice_card),
        temperature=run.temperature,
        replies=[
            ReplyRecord(
                turn_index=r.turn_index,
                user_text=r.user_text,
                reply_text=r.reply_text,
                audio_path=r.audio_path,
                audio_seconds=r.audio_seconds,
                latency_ms=r.latency_ms,
                results=[CheckResult.model_validate(item) for item in json.loads(r.results)],
            )
            for r in sorted(replies, key=lambda r: r.turn_index)
        ],
    )


def get_run(session: Session, run_id: int) -> RunRecord:
    run = session.get(QualityRun, run_id)
    if run is None:
        raise RunNotFoundError(run_id)
    replies = list(session.exec(select(QualityReply).where(QualityReply.run_id == run_id)))
    return _record(run, replies)


def list_runs(session: Session, *, persona_slug: str | None = None, limit: int = 50) -> list[RunRecord]:
    """Newest first."""
    query = select(QualityRun).order_by(col(QualityRun.id).desc()).limit(limit)
    if persona_slug:
        query = query.where(QualityRun.persona_slug == persona_slug)
    return [get_run(session, run.id) for run in session.exec(query) if run.id is not None]


def has_passing_run(session: Session, *, persona_slug: str, persona_version: int) -> bool:
    query = select(QualityRun.id).where(
        QualityRun.persona_slug == persona_slug,
        QualityRun.persona_version == persona_version,
        col(QualityRun.passed).is_(True),
    )
    return session.exec(query.limit(1)).first() is not None
