"""The Quality tab: run a persona's check script, read and compare stored runs, and A/B two configurations
(blind if wanted) with stored preferences and win rates. Handlers are thin: they call stepaudio_ui.quality.

Checks are for editors (enforced in every handler): a run drives an engine with any version, published or
not, stores its replies, and stored runs show draft content. Viewers get the A/B part (ab_panel) only.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from stepaudio_ui.context import AppContext
from stepaudio_ui.package_data import checks_dir
from stepaudio_ui.quality.compare import compare_runs
from stepaudio_ui.quality.conversation import EngineReplyError
from stepaudio_ui.quality.embedder import SentenceEmbedder
from stepaudio_ui.quality.report import comparison_report, run_report
from stepaudio_ui.quality.runner import CheckSetupError, run_check
from stepaudio_ui.quality.runs import RunNotFoundError, get_run, list_runs
from stepaudio_ui.quality.script import ScriptError, load_script
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.specs import NO_SCENE
from stepaudio_ui.ui import ab_panel, engine_progress
from stepaudio_ui.ui.i18n import i18n, tr
from stepaudio_ui.ui.page import Page
from stepaudio_ui.voices.cards import voice_card
from stepaudio_ui.web.access import AccessError, AccessPolicy

ERRORS = (ScriptError, CheckSetupError, EngineReplyError, RunNotFoundError, studio.StudioError, AccessError)


def _run_choices(ctx: AppContext) -> list[tuple[str, int]]:
    with ctx.db.session() as session:
        runs = list_runs(session, limit=200)
        return [(f"{run.label} ({tr('quality.pass' if run.passed else 'quality.fail')})", run.id) for run in runs]


def _build_checks(ctx: AppContext, embedder: SentenceEmbedder, policy: AccessPolicy) -> None:
    gr.Markdown(i18n("quality.intro"))
    note = gr.Markdown(visible=False, elem_id="quality-viewer-note")
    # Lists are empty in the page everyone receives; the page load fills them for editors only.
    with gr.Row() as pickers:
        persona = gr.Dropdown([], label=i18n("quality.persona"))
        version = gr.Number(
            None, label=i18n("quality.version"), precision=0, placeholder=i18n("common.latest")
        )  # else the box shows 0
        scene = gr.Dropdown([""], value="", label=i18n("quality.scene"))
        engine = gr.Dropdown(list(ctx.engines), value=next(iter(ctx.engines), None), label=i18n("quality.engine"))
    card = gr.Markdown(elem_id="quality-voice-card")
    run_button = gr.Button(i18n("quality.run"), variant="primary")
    report = gr.Textbox(label=i18n("quality.report"), lines=18, max_lines=60, interactive=False, elem_id="check-report")
    with gr.Row() as stored:
        run_a = gr.Dropdown([], label=i18n("quality.stored_run"), scale=3)
        run_b = gr.Dropdown([], label=i18n("quality.compare_with"), scale=3)
        refresh = gr.Button(i18n("quality.refresh"), scale=1)
    with gr.Row() as buttons:
        show = gr.Button(i18n("quality.show"))
        compare = gr.Button(i18n("quality.compare"))

    def require_editor(request: gr.Request, action: str) -> None:
        try:
            policy.require_editor(request, action)
        except AccessError as error:
            raise gr.Error(str(error)) from error

    async def run_script(
        request: gr.Request,
        slug: str | None,
        number: float | None,
        scene_slug: str,
        engine_name: str,
        progress: gr.Progress = gr.Progress(),  # Gradio passes the bar shown over the outputs
    ) -> dict[Any, Any]:
        require_editor(request, "run checks")
        if not slug:
            raise gr.Error(tr("quality.pick_persona"))
        try:
            script = load_script(checks_dir(ctx.settings) / f"{slug}.json")
            await engine_progress.engine_ready(ctx.engines[engine_name], progress)
            record = await run_check(
                db=ctx.db, engine=ctx.engines[engine_name], script=script, data_dir=ctx.settings.data_dir,
                embedder=embedder, persona_version=ab_panel.version_number(number), scene_slug=scene_slug or None,
                on_step=engine_progress.check_steps(progress),
            )  # fmt: skip
        except ERRORS as error:
            raise gr.Error(str(error)) from error
        choices = _run_choices(ctx)
        return {
            report: run_report(record),
            run_a: gr.update(choices=choices, value=record.id),
            run_b: gr.update(choices=choices),
        }

    def show_run(request: gr.Request, run_id: int | None) -> str:
        require_editor(request, "read check runs")
        if run_id is None:
            raise gr.Error(tr("quality.pick_run"))
        with ctx.db.session() as session:
            return run_report(get_run(session, int(run_id)))

    def compare_two(request: gr.Request, first: int | None, second: int | None) -> str:
        require_editor(request, "compare check runs")
        if first is None or second is None:
            raise gr.Error(tr("quality.pick_two"))
        with ctx.db.session() as session:
            return comparison_report(compare_runs(get_run(session, int(first)), get_run(session, int(second))))

    def refresh_runs(request: gr.Request) -> dict[Any, Any]:
        require_editor(request, "list check runs")
        choices = _run_choices(ctx)
        return {run_a: gr.update(choices=choices), run_b: gr.update(choices=choices)}

    def show_card(request: gr.Request, slug: str | None, engine_name: str | None) -> str:
        if not slug or engine_name not in ctx.engines or not policy.can_edit(request):
            return ""
        with ctx.db.session() as session:
            voice = studio.get_version(session, kind="persona", slug=slug).spec.voice  # type: ignore[union-attr]
            provenance = voice_card(ctx.engines[engine_name], voice, session)
        return tr("quality.provenance") + "\n\n" + provenance.markdown()

    def on_load(request: gr.Request) -> list[Any]:
        if not policy.can_edit(request):  # a courtesy: the handlers above refuse viewers anyway
            hidden = [gr.update(visible=False) for _ in (pickers, run_button, report, stored, buttons)]
            note_shown = gr.update(value=tr("quality.viewer_note"), visible=True)
            return [note_shown, *hidden, gr.skip(), gr.skip(), gr.skip(), gr.skip()]
        personas, scenes = ab_panel.slugs(ctx, "persona", "editor"), ab_panel.slugs(ctx, "scene", "editor")
        runs = _run_choices(ctx)
        unchanged = [gr.skip() for _ in (pickers, run_button, report, stored, buttons)]
        return [
            gr.skip(),
            *unchanged,
            gr.update(choices=personas),
            gr.update(choices=["", NO_SCENE, *scenes]),
            gr.update(choices=runs),
            gr.update(choices=runs),
        ]

    gr.on([persona.change, engine.change], show_card, [persona, engine], [card], api_name="check_voice_card")
    run_button.click(run_script, [persona, version, scene, engine], [report, run_a, run_b], api_name="check_run")
    show.click(show_run, [run_a], [report], api_name="check_show_run")
    compare.click(compare_two, [run_a, run_b], [report], api_name="check_compare_runs")
    refresh.click(refresh_runs, None, [run_a, run_b], api_name="check_refresh_runs")
    root = gr.context.Context.root_block
    if root is not None:
        load_outputs = [note, pickers, run_button, report, stored, buttons, persona, scene, run_a, run_b]
        root.load(on_load, None, load_outputs)


def build(page: Page) -> None:
    ctx, policy = page.ctx, page.policy
    embedder = SentenceEmbedder()  # one per app: loads on the first check
    with gr.Tabs():
        with gr.Tab(i18n("quality.checks_tab"), id="quality-checks"):
            _build_checks(ctx, embedder, policy)
        with gr.Tab(i18n("quality.ab_tab"), id="quality-ab"):
            ab_panel.build(ctx, policy)
