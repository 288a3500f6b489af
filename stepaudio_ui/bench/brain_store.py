"""`bench brain --store`: each brain x persona of the turn set saved as a quality-lab run, so the quality
lab's own comparison (`stepaudio-ui check --compare A B`, the Quality tab) shows two brains check by check."""

from __future__ import annotations

import json
from typing import Any

from stepaudio_ui.bench.brain_turns import TURNS
from stepaudio_ui.quality.runs import save_run
from stepaudio_ui.quality.scorers import CheckResult
from stepaudio_ui.quality.tables import QualityReply, QualityRun
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.store import utc_now


def _results(reply: dict[str, Any]) -> list[CheckResult]:
    return [
        CheckResult(check="language", passed=reply["language_right"], threshold=reply["language"]),
        CheckResult(check="length", passed=reply["length_ok"], score=reply["words"], threshold="scene's sentences"),
        CheckResult(check="no_loops", passed=not reply["loops"], threshold="no 4-gram said twice"),
        CheckResult(check="relevant", passed=reply["relevant"], threshold="names what was asked"),
        CheckResult(check="in_character", passed=True, score=reply["in_character"], threshold="(measured)"),
    ]


def store_runs(db: Any, results: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """brain -> persona -> stored run id."""
    scenes = {turn.persona: turn.scene for turn in TURNS}
    stored: dict[str, dict[str, int]] = {}
    for result in results:
        replies = [reply for language in ("en", "zh") for reply in result[language]["replies"]]
        for persona in dict.fromkeys(reply["persona"] for reply in replies):
            mine = [reply for reply in replies if reply["persona"] == persona]
            checks = [_results(reply) for reply in mine]
            failed = sum(not check.passed for group in checks for check in group)
            with db.session() as session:
                persona_view = studio.get_version(session, kind="persona", slug=persona)
                scene_view = studio.get_version(session, kind="scene", slug=scenes[persona])
                run = QualityRun(
                    persona_slug=persona,
                    persona_version=persona_view.number,
                    scene_slug=scenes[persona],
                    scene_version=scene_view.number,
                    engine=f"embedded ({result['brain']})",
                    script=json.dumps(
                        {"bench": "brain", "turns": [reply["user"] for reply in mine]}, ensure_ascii=False
                    ),
                    voice_card=json.dumps({"brain_card": result["card"]}, ensure_ascii=False),
                    finished_at=utc_now(),
                    passed=failed == 0,
                    failed_checks=failed,
                    total_checks=sum(len(group) for group in checks),
                )
                rows = [
                    QualityReply(
                        run_id=0,
                        turn_index=index,
                        user_text=reply["user"],
                        reply_text=reply["reply"],
                        latency_ms=reply["decision_to_first_audio_ms"],
                        results=json.dumps([c.model_dump() for c in group], ensure_ascii=False),
                    )
                    for index, (reply, group) in enumerate(zip(mine, checks, strict=True), start=1)
                ]
                stored.setdefault(result["brain"], {})[persona] = save_run(session, run=run, replies=rows)
    return stored
