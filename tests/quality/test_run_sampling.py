"""A check run asks for the engine's most likely replies, so the same persona version replies the same each run;
`sampled` runs sample as a live conversation does, and the report and a comparison say which a run was.

Sampled, one persona version passed and failed its checks by turns (the default brain: 15 of 21 seed runs
passed), so a writer could not tell whether an edit or chance moved a check."""

from __future__ import annotations

from stepaudio_ui.quality.compare import compare_runs
from stepaudio_ui.quality.report import comparison_report, run_report
from stepaudio_ui.quality.runner import run_check
from stepaudio_ui.quality.runs import get_run
from stepaudio_ui.quality.script import CheckScript

SAM = CheckScript.model_validate(
    {
        "persona": "sam-support",
        "scene": "support-desk",
        "every_turn": {"language": "en", "max_words": 80},
        "turns": [{"say": "My wifi keeps dropping!"}, {"say": "I already restarted the router."}],
    }
)


def _replies(record) -> list[str]:  # noqa: ANN001 - a RunRecord
    return [reply.reply_text for reply in record.replies if reply.turn_index > 0]


async def test_check_runs_of_one_version_reply_the_same_and_a_sampled_run_says_it_is(
    library, quality_engine, embedder, tmp_path
) -> None:
    async def run(**kwargs: object):  # noqa: ANN202
        return await run_check(
            db=library, engine=quality_engine, script=SAM, data_dir=tmp_path, embedder=embedder, **kwargs
        )

    first, second = await run(), await run()
    assert first.temperature == 0 and second.temperature == 0
    assert _replies(first) == _replies(second) and all(_replies(first)), _replies(first)
    assert "most likely replies" in run_report(first)
    with library.session() as session:
        assert get_run(session, first.id).temperature == 0  # stored, not only returned
    assert "a sampled run took part" not in comparison_report(compare_runs(first, second))

    sampled = await run(sampled=True)
    assert sampled.temperature is None and all(_replies(sampled))
    assert "sampled as in a live conversation" in run_report(sampled)
    assert "a sampled run took part" in comparison_report(compare_runs(first, sampled))
