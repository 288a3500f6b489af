"""The Quality tab: run a persona's check script, read and compare stored runs, and A/B two configurations
(blind if wanted) with stored preferences and win rates. Handlers are thin: they call stepaudio_ui.quality."""

from __future__ import annotations

import random
from typing import Any

import gradio as gr

from stepaudio_ui import studio
from stepaudio_ui.context import AppContext
from stepaudio_ui.quality import ab
from stepaudio_ui.quality.cli import checks_dir
from stepaudio_ui.quality.compare import compare_runs
from stepaudio_ui.quality.conversation import EngineReplyError
from stepaudio_ui.quality.embedder import SentenceEmbedder
from stepaudio_ui.quality.provenance import voice_card
from stepaudio_ui.quality.report import comparison_report, run_report
from stepaudio_ui.quality.runner import CheckSetupError, run_check
from stepaudio_ui.quality.runs import RunNotFoundError, get_run, list_runs
from stepaudio_ui.quality.script import ScriptError, load_script

WIN_HEADERS = ["Pair", "Configuration", "Wins", "Votes", "Win rate"]
ERRORS = (ScriptError, CheckSetupError, EngineReplyError, RunNotFoundError, studio.StudioError)


def _slugs(ctx: AppContext, kind: studio.Kind) -> list[str]:
    with ctx.db.session() as session:
        return [item.slug for item in studio.list_items(session, kind=kind, limit=500)]


def _version(value: float | None) -> int | None:
    return int(value) if value else None


def _run_choices(ctx: AppContext) -> list[tuple[str, int]]:
    with ctx.db.session() as session:
        return [(f"{run.label} ({'pass' if run.passed else 'fail'})", run.id) for run in list_runs(session, limit=200)]


def _win_rows(ctx: AppContext) -> list[list[Any]]:
    with ctx.db.session() as session:
        return [[w.pair, w.config, w.wins, w.total, f"{w.rate:.0%}"] for w in ab.win_rates(session)]


def _config_inputs(ctx: AppContext, side: str, persona: str | None, scene: str | None) -> list[gr.components.Component]:
    with gr.Column(variant="panel"):
        gr.Markdown(f"**Configuration {side}**")
        return [
            gr.Dropdown(_slugs(ctx, "persona"), value=persona, label=f"{side}: persona"),
            gr.Number(None, label=f"{side}: persona version (blank: latest)", precision=0),
            gr.Dropdown(_slugs(ctx, "scene"), value=scene, label=f"{side}: scene tone"),
            gr.Dropdown(list(ctx.engines), value=next(iter(ctx.engines), None), label=f"{side}: engine"),
        ]


def _build_checks(ctx: AppContext, embedder: SentenceEmbedder) -> None:
    gr.Markdown("Run a persona's check script (`personas/checks/<persona>.json`) and read its scored report.")
    with gr.Row():
        persona = gr.Dropdown(_slugs(ctx, "persona"), label="Persona to check")
        version = gr.Number(None, label="Persona version (blank: latest)", precision=0)
        scene = gr.Dropdown(["", *_slugs(ctx, "scene")], value="", label="Scene tone (blank: the script's)")
        engine = gr.Dropdown(list(ctx.engines), value=next(iter(ctx.engines), None), label="Engine")
    card = gr.Markdown(elem_id="quality-voice-card")
    run_button = gr.Button("Run check", variant="primary")
    report = gr.Textbox(label="Check report", lines=18, max_lines=60, interactive=False, elem_id="check-report")
    with gr.Row():
        run_a = gr.Dropdown(_run_choices(ctx), label="Stored run", scale=3)
        run_b = gr.Dropdown(_run_choices(ctx), label="Compare with run", scale=3)
        refresh = gr.Button("Refresh runs", scale=1)
    with gr.Row():
        show = gr.Button("Show run")
        compare = gr.Button("Compare runs")

    async def run_script(slug: str | None, number: float | None, scene_slug: str, engine_name: str) -> dict[Any, Any]:
        if not slug:
            raise gr.Error("Pick a persona to check.")
        try:
            script = load_script(checks_dir(ctx.settings) / f"{slug}.json")
            record = await run_check(
                db=ctx.db, engine=ctx.engines[engine_name], script=script, data_dir=ctx.settings.data_dir,
                embedder=embedder, persona_version=_version(number), scene_slug=scene_slug or None,
            )  # fmt: skip
        except ERRORS as error:
            raise gr.Error(str(error)) from error
        choices = _run_choices(ctx)
        return {
            report: run_report(record),
            run_a: gr.update(choices=choices, value=record.id),
            run_b: gr.update(choices=choices),
        }

    def show_run(run_id: int | None) -> str:
        if run_id is None:
            raise gr.Error("Pick a stored run.")
        with ctx.db.session() as session:
            return run_report(get_run(session, int(run_id)))

    def compare_two(first: int | None, second: int | None) -> str:
        if first is None or second is None:
            raise gr.Error("Pick two stored runs to compare.")
        with ctx.db.session() as session:
            return comparison_report(compare_runs(get_run(session, int(first)), get_run(session, int(second))))

    def refresh_runs() -> dict[Any, Any]:
        choices = _run_choices(ctx)
        return {run_a: gr.update(choices=choices), run_b: gr.update(choices=choices)}

    def show_card(slug: str | None, engine_name: str | None) -> str:
        if not slug or engine_name not in ctx.engines:
            return ""
        with ctx.db.session() as session:
            voice = studio.get_version(session, kind="persona", slug=slug).spec.voice  # type: ignore[union-attr]
            provenance = voice_card(ctx.engines[engine_name], voice, session)
        return "**Voice provenance**\n\n" + provenance.markdown()

    gr.on([persona.change, engine.change], show_card, [persona, engine], [card])
    run_button.click(run_script, [persona, version, scene, engine], [report, run_a, run_b])
    show.click(show_run, [run_a], [report])
    compare.click(compare_two, [run_a, run_b], [report])
    refresh.click(refresh_runs, None, [run_a, run_b])


def _build_ab(ctx: AppContext) -> None:
    gr.Markdown("Send one typed turn to two configurations at once. In blind mode the sides are shuffled and "
                "named only after you pick the better reply.")  # fmt: skip
    personas, scenes = _slugs(ctx, "persona"), _slugs(ctx, "scene")
    with gr.Row():
        side_a = _config_inputs(ctx, "A", personas[0] if personas else None, scenes[0] if scenes else None)
        side_b = _config_inputs(ctx, "B", personas[0] if personas else None, scenes[0] if scenes else None)
    with gr.Row():
        user_turn = gr.Textbox(label="User turn for both", scale=4)
        blind = gr.Checkbox(True, label="Blind", scale=1)
    send = gr.Button("Send to both", variant="primary")
    shown: list[dict[str, gr.components.Component]] = []
    with gr.Row():
        for number in (1, 2):
            with gr.Column(variant="panel"):
                shown.append(
                    {
                        "label": gr.Markdown(f"**Reply {number}**"),
                        "text": gr.Textbox(label=f"Reply {number} text", interactive=False),
                        "audio": gr.Audio(label=f"Reply {number} audio", type="filepath", interactive=False),
                        "latency": gr.Textbox(label=f"Reply {number} latency", interactive=False),
                        "prefer": gr.Button(f"Prefer reply {number}"),
                    }
                )
    verdict = gr.Markdown()
    rates = gr.Dataframe(_win_rows(ctx), headers=WIN_HEADERS, label="Win rates per pair", interactive=False)
    state = gr.State(None)  # {"labels": [label of reply 1, label of reply 2], "text": ..., "blind": ...}

    async def send_both(*values: Any) -> dict[Any, Any]:
        a, b = (
            ab.AbConfig(persona=p, scene=s, engine=e, persona_version=_version(v))
            for p, v, s, e in (values[:4], values[4:8])
        )
        text, is_blind = values[8], values[9]
        try:
            replies = list(
                await ab.ask_both(
                    db=ctx.db, engines=ctx.engines, a=a, b=b, text=text, out_dir=ctx.settings.data_dir / "ab"
                )
            )
        except ERRORS as error:
            raise gr.Error(str(error)) from error
        if is_blind:
            random.shuffle(replies)
        updates: dict[Any, Any] = {
            state: {"labels": [r.label for r in replies], "text": text, "blind": is_blind},
            verdict: "",
        }
        for number, (reply, parts) in enumerate(zip(replies, shown, strict=True), start=1):
            latency = f"{reply.latency_ms:.0f} ms to first audio" if reply.latency_ms is not None else "no audio"
            updates |= {
                parts["label"]: f"**Reply {number}**" + ("" if is_blind else f": {reply.label}"),
                parts["text"]: reply.text, parts["audio"]: reply.audio_path, parts["latency"]: latency,
            }  # fmt: skip
        return updates

    def prefer(choice: int, current: dict[str, Any] | None) -> dict[Any, Any]:
        if not current:
            raise gr.Error("Send a turn to both configurations first.")
        labels = current["labels"]
        with ctx.db.session() as session:
            ab.record_preference(
                session,
                winner=labels[choice],
                loser=labels[1 - choice],
                user_text=current["text"],
                blind=current["blind"],
            )
        revealed = {
            parts["label"]: f"**Reply {n}**: {label}"
            for n, (parts, label) in enumerate(zip(shown, labels, strict=True), start=1)
        }
        return revealed | {
            verdict: f"You preferred reply {choice + 1}: {labels[choice]}.",
            rates: _win_rows(ctx),
            state: None,
        }

    inputs = [*side_a, *side_b, user_turn, blind]
    outputs = [state, verdict, *(c for parts in shown for key, c in parts.items() if key != "prefer")]
    send.click(send_both, inputs, outputs)
    vote_outputs = [*(parts["label"] for parts in shown), verdict, rates, state]
    for index, parts in enumerate(shown):
        parts["prefer"].click(lambda current, i=index: prefer(i, current), [state], vote_outputs)


def build(ctx: AppContext) -> None:
    embedder = SentenceEmbedder()  # one per app: loads on the first check
    with gr.Tabs():
        with gr.Tab("Checks", id="quality-checks"):
            _build_checks(ctx, embedder)
        with gr.Tab("A/B", id="quality-ab"):
            _build_ab(ctx)
