"""The Quality tab's A/B part: one typed turn to two configurations, then a stored preference and win rates.

Who may do what (enforced in the handlers): editors compare any versions, blind or not, and read the
win rates. Viewers (the stakeholders a demo is for) may compare published versions only, blind only,
and their preference is stored like an editor's; the win-rate table is for editors, since its labels
name every version ever compared.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import gradio as gr

from model.embedded.brain_choice import BrainChoiceError
from stepaudio_ui.context import AppContext
from stepaudio_ui.quality import ab
from stepaudio_ui.quality.conversation import EngineReplyError
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.published_scope import allowed_version, listed_items
from stepaudio_ui.studio.scene_choice import choose_scene
from stepaudio_ui.studio.specs import NO_SCENE
from stepaudio_ui.ui import engine_progress
from stepaudio_ui.ui.brain_picker import add_brain_picker
from stepaudio_ui.ui.i18n import i18n, tr
from stepaudio_ui.ui.localized_load import localize
from stepaudio_ui.web.access import AccessError, AccessPolicy, Role
from stepaudio_ui.web.downloads import download_folder, make_private

WIN_COLUMNS = ["pair", "configuration", "wins", "votes", "rate"]  # "ab.column.<name>"
ERRORS = (EngineReplyError, studio.StudioError, AccessError, BrainChoiceError)


def slugs(ctx: AppContext, kind: studio.Kind, role: Role) -> list[str]:
    with ctx.db.session() as session:
        return [item.slug for item in listed_items(session, kind=kind, role=role)]


def version_number(value: float | None) -> int | None:
    return int(value) if value else None


def _win_headers() -> list[str]:
    return [tr(f"ab.column.{name}") for name in WIN_COLUMNS]


def _win_rows(ctx: AppContext) -> dict[str, Any]:
    """The win-rate table, its headers in the reader's language."""
    with ctx.db.session() as session:
        rows = [[w.pair, w.config, w.wins, w.total, f"{w.rate:.0%}"] for w in ab.win_rates(session)]
    return {"headers": _win_headers(), "data": rows}


HOME_SCENE = ""  # the scene picker's default: the persona version's home scene (or none), as everywhere


def scene_picks(scenes: list[str]) -> list[tuple[str, str]]:
    """The A/B scene picker: the persona's home scene, no scene tone, or a named one."""
    return [(tr("ab.home_scene"), HOME_SCENE), (tr("scene.none"), NO_SCENE), *((slug, slug) for slug in scenes)]


def _config_inputs(ctx: AppContext, side: str) -> list[gr.components.Component]:
    personas, scenes = slugs(ctx, "persona", "viewer"), slugs(ctx, "scene", "viewer")  # viewer-safe until load
    with gr.Column(variant="panel"):
        gr.Markdown(f"**{i18n('ab.configuration')} {side}**")
        return [
            gr.Dropdown(personas, value=personas[0] if personas else None, label=f"{side}: {i18n('ab.persona')}"),
            gr.Number(None, label=f"{side}: {i18n('ab.version')}", precision=0, placeholder=i18n("common.latest")),
            gr.Dropdown(scene_picks(scenes), value=HOME_SCENE, label=f"{side}: {i18n('ab.scene')}"),
            gr.Dropdown(list(ctx.engines), value=next(iter(ctx.engines), None), label=f"{side}: {i18n('ab.engine')}"),
            add_brain_picker(ctx, elem_id=f"ab-brain-{side.lower()}", label=f"{side}: {i18n('ab.brain')}"),
        ]


def scoped_config(
    ctx: AppContext, role: Role, persona: str, version: int | None, scene: str, engine: str, brain: str | None = None
) -> Any:
    """An A/B configuration the role may ask: a viewer's is pinned to the published versions."""
    if not persona:
        raise ab.AbSetupError(tr("ab.choose_persona"))
    if role == "editor":
        return ab.AbConfig(persona=persona, scene=scene or None, engine=engine, persona_version=version, brain=brain)
    with ctx.db.session() as session:
        persona_view = allowed_version(
            session, kind="persona", slug=persona, number=version, role=role, action="compare"
        )
        # the same rule as Live and /v1/realtime: the one named, else the home scene, else none
        scene_view = choose_scene(session, persona=persona_view.spec, requested=scene or None, role=role)  # type: ignore[arg-type]
    return ab.AbConfig(
        persona=persona,
        scene=scene_view.slug if scene_view else NO_SCENE,
        engine=engine,
        persona_version=persona_view.number,
        scene_version=scene_view.number if scene_view else None,
        brain=brain,
    )


def build(ctx: AppContext, policy: AccessPolicy) -> None:
    gr.Markdown(i18n("ab.intro"))
    with gr.Row():
        side_a = _config_inputs(ctx, "A")
        side_b = _config_inputs(ctx, "B")
    with gr.Row():
        user_turn = gr.Textbox(label=i18n("ab.user_turn"), scale=3)
        spoken_turn = gr.Audio(
            label=i18n("ab.spoken_turn"),
            sources=["microphone", "upload"],
            type="filepath",
            scale=2,
            elem_id="ab-spoken-turn",
        )
        blind = gr.Checkbox(True, label=i18n("ab.blind"), scale=1)
    send = gr.Button(i18n("ab.send"), variant="primary")
    shown: list[dict[str, gr.components.Component]] = []
    with gr.Row():
        for number in (1, 2):
            with gr.Column(variant="panel"):
                shown.append(
                    {
                        "label": gr.Markdown(f"**{i18n(f'ab.reply{number}')}**"),
                        "text": gr.Textbox(label=i18n(f"ab.reply{number}.text"), interactive=False),
                        "audio": gr.Audio(label=i18n(f"ab.reply{number}.audio"), type="filepath", interactive=False),
                        "latency": gr.Textbox(label=i18n(f"ab.reply{number}.latency"), interactive=False),
                        "prefer": gr.Button(i18n(f"ab.reply{number}.prefer")),
                    }
                )
    verdict = gr.Markdown()
    rates = gr.Dataframe([], headers=_win_headers(), label=i18n("ab.rates"), interactive=False)
    localize(rates, lambda: {"headers": _win_headers(), "data": []})
    state = gr.State(None)  # {"labels": [label of reply 1, label of reply 2], "text": ..., "blind": ...}

    async def send_both(
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # Gradio passes the bar shown over the outputs
        *values: Any,
    ) -> dict[Any, Any]:
        role = policy.role_for(request)
        text, is_blind, spoken = values[10], values[11], values[12]
        try:
            if role != "editor" and not is_blind:
                raise AccessError(tr("ab.blind_only"))
            a, b = (
                scoped_config(ctx, role, p, version_number(v), s, e, brain)
                for p, v, s, e, brain in (values[:5], values[5:10])
            )
            for name in dict.fromkeys((a.engine, b.engine)):  # models still loading: a bar while they do
                if name in ctx.engines:
                    await engine_progress.engine_ready(ctx.engines[name], progress)
            replies = list(
                await ab.ask_both(
                    db=ctx.db,
                    engines=ctx.engines,
                    a=a,
                    b=b,
                    text=text,
                    audio=Path(spoken) if spoken else None,
                    out_dir=download_folder(ctx.settings),
                    on_reply=engine_progress.ab_replies(progress),
                )
            )
        except ERRORS as error:
            raise gr.Error(str(error)) from error
        make_private([Path(reply.audio_path) for reply in replies if reply.audio_path])
        if is_blind:
            random.shuffle(replies)
        updates: dict[Any, Any] = {
            state: {
                "labels": [r.label for r in replies],
                "text": text if not spoken else "[spoken turn]",
                "blind": is_blind,
            },
            verdict: "",
        }
        for number, (reply, parts) in enumerate(zip(replies, shown, strict=True), start=1):
            latency = (
                tr("ab.latency", ms=f"{reply.latency_ms:.0f}") if reply.latency_ms is not None else tr("ab.no_audio")
            )
            updates |= {
                parts["label"]: f"**{tr(f'ab.reply{number}')}**" + ("" if is_blind else f": {reply.label}"),
                parts["text"]: reply.text, parts["audio"]: reply.audio_path, parts["latency"]: latency,
            }  # fmt: skip
        return updates

    def prefer(request: gr.Request, choice: int, current: dict[str, Any] | None) -> dict[Any, Any]:
        # `current` is server-side State written by send_both, which already applied the role's rules.
        if not current:
            raise gr.Error(tr("ab.send_first"))
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
            parts["label"]: f"**{tr(f'ab.reply{n}')}**: {label}"
            for n, (parts, label) in enumerate(zip(shown, labels, strict=True), start=1)
        }
        return revealed | {
            verdict: tr("ab.preferred", number=choice + 1, label=labels[choice]),
            rates: _win_rows(ctx) if policy.can_edit(request) else gr.skip(),
            state: None,
        }

    inputs = [*side_a, *side_b, user_turn, blind, spoken_turn]
    outputs = [state, verdict, *(c for parts in shown for key, c in parts.items() if key != "prefer")]
    send.click(send_both, inputs, outputs, api_name="ab_send")
    vote_outputs = [*(parts["label"] for parts in shown), verdict, rates, state]
    for index, parts in enumerate(shown):

        def vote(request: gr.Request, current: dict[str, Any] | None, i: int = index) -> dict[Any, Any]:
            return prefer(request, i, current)

        parts["prefer"].click(vote, [state], vote_outputs, api_name=f"ab_prefer_{index + 1}")

    def on_load(request: gr.Request) -> list[Any]:
        """The pickers as the caller's role may see them; viewers stay blind and see no win rates."""
        role = policy.role_for(request)
        personas, scenes = slugs(ctx, "persona", role), slugs(ctx, "scene", role)
        pickers = [gr.update(choices=personas), gr.skip(), gr.update(choices=scene_picks(scenes)), gr.skip(), gr.skip()]
        if role == "editor":
            return [*pickers, *pickers, gr.skip(), gr.update(value=_win_rows(ctx))]
        return [*pickers, *pickers, gr.update(value=True, interactive=False), gr.update(visible=False)]

    root = gr.context.Context.root_block
    if root is not None:
        root.load(on_load, None, [*side_a, *side_b, blind, rates])
