"""The Live tab: pick a persona, a scene tone, an engine and its brain, then talk over WebRTC.

Layout first, wiring after. The WebRTC component's own button starts and stops the conversation; the
handler (stepaudio_ui.live.handler) receives the dropdowns' values as its args, and pushes transcript,
latency and status back as AdditionalOutputs.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr
from fastrtc import WebRTC

from stepaudio_ui.context import AppContext
from stepaudio_ui.engines import default_engine_name
from stepaudio_ui.live.registry import LiveRegistry
from stepaudio_ui.live.rtc import (
    browser_rtc_configuration,
    enable_loopback_ice,
    server_rtc_configuration,
    tolerate_empty_value,
)
from stepaudio_ui.live.view import ViewSnapshot
from stepaudio_ui.studio.compose import compose_instructions
from stepaudio_ui.studio.published_scope import allowed_version, listed_items, listed_versions
from stepaudio_ui.studio.specs import NO_SCENE
from stepaudio_ui.ui import live_announcer, live_latency, live_shortcuts, live_words
from stepaudio_ui.ui.brain_picker import add_brain_picker
from stepaudio_ui.ui.i18n import i18n, tr
from stepaudio_ui.ui.live_bargein import BARGE_IN_JS, MARKER_ID, marker_html, scene_allows_interrupt
from stepaudio_ui.ui.live_engines import engine_choices, engines_markdown
from stepaudio_ui.ui.live_mic import MIC_CHECK_JS
from stepaudio_ui.ui.live_scene import home_scene_value, with_no_scene
from stepaudio_ui.ui.live_scope import RoleScopedLiveHandler
from stepaudio_ui.ui.page import Page
from stepaudio_ui.web.access import AccessError, Role

logger = logging.getLogger(__name__)

DEFAULT_VERSION = "published"  # the version dropdowns' first choice: published, else the latest


def _choices(ctx: AppContext, kind: str, role: Role) -> list[tuple[str, str]]:
    """The items a role may talk to (viewers: published ones only), by name."""
    with ctx.db.session() as s:
        items = listed_items(s, kind=kind, role=role)  # type: ignore[arg-type]
    return sorted(((f"{item.name} ({item.slug})", item.slug) for item in items), key=lambda choice: choice[0].lower())


def _version_choices(ctx: AppContext, kind: str, slug: str | None, role: Role) -> list[tuple[str, str | int]]:
    from stepaudio_ui.studio import library as studio

    if not slug or slug == NO_SCENE:
        return [(tr("live.version.published") if not slug else tr("scene.none"), DEFAULT_VERSION)]
    try:
        with ctx.db.session() as s:
            versions = listed_versions(s, kind=kind, slug=slug, role=role)  # type: ignore[arg-type]
    except studio.StudioError:  # gone, or unpublished for a viewer: nothing to pick
        return [(tr("live.version.published"), DEFAULT_VERSION)]
    published = next((v.number for v in versions if v.published), None)
    default_label = (
        tr("live.version.published_v", number=published)
        if published
        else tr("live.version.latest_v", number=versions[0].number)
        if versions
        else "-"
    )
    mark = " · " + tr("live.version.published")
    return [(default_label, DEFAULT_VERSION)] + [
        (f"v{v.number}{mark if v.published else ''} — {v.note or v.author}", v.number) for v in versions
    ]


def preview_instructions(
    ctx: AppContext, persona: str | None, persona_version: Any, scene: str | None, scene_version: Any, role: Role
) -> str:
    """Exactly the instructions the engine will get (compose is deterministic); viewers: published only."""
    from stepaudio_ui.studio import library as studio

    if not persona:
        return tr("live.pick_persona")
    try:
        with ctx.db.session() as s:
            p = allowed_version(
                s, kind="persona", slug=persona, number=_number(persona_version), role=role, action="preview"
            )
            sc = None  # no scene tone
            if scene and scene != NO_SCENE:
                sc = allowed_version(
                    s, kind="scene", slug=scene, number=_number(scene_version), role=role, action="preview"
                )
    except (studio.StudioError, AccessError) as exc:
        return f"⚠️ {exc}"
    return compose_instructions(p.spec, sc.spec if sc else None)  # type: ignore[arg-type]


def picker_info(role: Role, kind: str) -> str:
    """The line under a picker that says why it lists what it lists (set on page load, per caller role)."""
    return tr(f"live.info.{role}", things=tr(f"live.things.{kind}"))


def _number(version: Any) -> int | None:
    """The version dropdowns hold a number, or 'published' for the default version."""
    return int(version) if isinstance(version, int | float) and not isinstance(version, bool) else None


def show_snapshot(snapshot: ViewSnapshot) -> tuple[Any, ...]:
    latency = live_latency.chart_update(snapshot.latencies, changed=snapshot.latency_changed)
    status = tr(snapshot.status.key, **dict(snapshot.status.values))
    return list(snapshot.messages), latency, status, live_announcer.announcement(snapshot.last_finished)


def build(page: Page) -> None:
    """Lay out the Live tab inside the caller's Blocks/Tab context, and wire it."""
    ctx, policy = page.ctx, page.policy
    settings = ctx.settings
    if settings.webrtc_loopback_only:
        enable_loopback_ice()
    registry = LiveRegistry()
    # Built once for every visitor, so viewer-safe; the page load swaps in the caller's own lists.
    personas, scenes = _choices(ctx, "persona", "viewer"), with_no_scene(_choices(ctx, "scene", "viewer"))
    first_persona = personas[0][1] if personas else None
    first_scene = home_scene_value(ctx, first_persona, "viewer")

    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            persona = gr.Dropdown(personas, value=first_persona, label=i18n("live.persona"), elem_id="live-persona")
            persona_version = gr.Dropdown(
                _version_choices(ctx, "persona", first_persona, "viewer"),
                value=DEFAULT_VERSION,
                label=i18n("live.persona_version"),
            )
            scene = gr.Dropdown(scenes, value=first_scene, label=i18n("live.scene"), elem_id="live-scene")
            scene_version = gr.Dropdown(
                _version_choices(ctx, "scene", first_scene, "viewer"),
                value=DEFAULT_VERSION,
                label=i18n("live.scene_version"),
            )
            engine = gr.Dropdown(
                engine_choices(ctx),
                value=default_engine_name(ctx.engines),
                label=i18n("live.engine"),
                elem_id="live-engine",
            )
            engine_status = gr.Markdown(engines_markdown(ctx), elem_id="live-engine-status")
            brain = add_brain_picker(ctx, elem_id="live-brain")
            with gr.Accordion(i18n("live.instructions"), open=False):
                instructions = gr.Textbox(
                    preview_instructions(ctx, first_persona, DEFAULT_VERSION, first_scene, DEFAULT_VERSION, "viewer"),
                    lines=14,
                    max_lines=30,
                    interactive=False,
                    show_label=False,
                    elem_id="live-instructions",
                )
        with gr.Column(scale=2):
            gr.HTML(i18n("live.mic.checking"), elem_id="live-mic-notice")
            # Hidden: tells the page's barge-in script whether the chosen scene lets the user interrupt.
            bargein = gr.HTML(marker_html(scene_allows_interrupt(ctx, first_scene, None, "viewer")), elem_id=MARKER_ID)
            status = gr.Markdown(i18n("live.press_start"), elem_id="live-status")
            webrtc = WebRTC(
                label=i18n("live.conversation"),
                modality="audio",
                mode="send-receive",
                rtc_configuration=browser_rtc_configuration(settings),
                server_rtc_configuration=server_rtc_configuration(settings),
                button_labels=live_words.BUTTON_LABELS,
                full_screen=False,
                elem_id="live-webrtc",
            )
            tolerate_empty_value(webrtc)
            live_shortcuts.hint()
            transcript = gr.Chatbot(
                type="messages", label=i18n("live.transcript"), height=360, elem_id="live-transcript"
            )
            announcer = live_announcer.region()
            with gr.Row():
                typed = gr.Textbox(
                    label=i18n("live.typed"),
                    placeholder=i18n("live.typed_hint"),
                    scale=4,
                    elem_id="live-typed",
                )
                send = gr.Button(i18n("live.send"), scale=1, elem_id="live-send")
            latency = live_latency.plot()

    # Filled from the request on page load; kept on the server, so a caller cannot claim another role.
    role = gr.State("viewer")

    # ------------------------------------------------------------------ wiring
    handler = RoleScopedLiveHandler(ctx, registry)
    webrtc.stream(
        handler,
        inputs=[webrtc, persona, persona_version, scene, scene_version, engine, role, brain],
        outputs=[webrtc],
        time_limit=settings.conversation_time_limit_s,
        concurrency_limit=settings.max_conversations,
    )
    # One long-lived output stream per conversation: unlimited, or the 9th conversation would wait for a slot.
    webrtc.on_additional_outputs(
        show_snapshot, outputs=[transcript, latency, status, announcer], concurrency_limit=None, show_progress="hidden"
    )

    def pick_persona(request: gr.Request, slug: str | None) -> Any:
        return gr.update(
            choices=_version_choices(ctx, "persona", slug, policy.role_for(request)), value=DEFAULT_VERSION
        )

    def pick_scene(request: gr.Request, slug: str | None) -> Any:
        return gr.update(choices=_version_choices(ctx, "scene", slug, policy.role_for(request)), value=DEFAULT_VERSION)

    def pick_home_scene(request: gr.Request, slug: str | None) -> tuple[str, Any]:
        """A persona picked: its home scene (or no scene tone) becomes the scene, at its default version."""
        home = home_scene_value(ctx, slug, policy.role_for(request))
        return home, pick_scene(request, home)

    def live_preview(request: gr.Request, *values: Any) -> str:
        return preview_instructions(ctx, *values, role=policy.role_for(request))

    def bargein_marker(request: gr.Request, slug: str | None, version: Any) -> str:
        return marker_html(scene_allows_interrupt(ctx, slug, _number(version), policy.role_for(request)))

    gr.on([scene.change, scene_version.change], bargein_marker, [scene, scene_version], bargein, show_progress="hidden")
    persona.input(pick_persona, persona, persona_version, api_name="live_persona_versions")
    persona.input(pick_home_scene, persona, [scene, scene_version], api_name="live_home_scene")
    scene.input(pick_scene, scene, scene_version, api_name="live_scene_versions")
    gr.on(
        [persona.change, persona_version.change, scene.change, scene_version.change],
        live_preview,
        inputs=[persona, persona_version, scene, scene_version],
        outputs=instructions,
        api_name="live_preview",
    )

    def pickers_for(request: gr.Request, current_persona: str | None, _current_scene: str | None) -> tuple[Any, ...]:
        """The caller's role into the State, and the pickers as that role may see them."""
        caller = policy.role_for(request)
        persona_choices, scene_choices = _choices(ctx, "persona", caller), with_no_scene(_choices(ctx, "scene", caller))
        keep_persona = current_persona if any(slug == current_persona for _, slug in persona_choices) else None
        keep_persona = keep_persona or (persona_choices[0][1] if persona_choices else None)
        keep_scene = home_scene_value(ctx, keep_persona, caller)  # the shown persona's home scene, as on a pick
        # The info line tells the caller why the lists hold what they hold; pages and tests also read it
        # as the sign that the caller's own lists have arrived (picking earlier could be undone by them).
        return (
            caller,
            gr.update(choices=persona_choices, value=keep_persona, info=picker_info(caller, "persona")),
            gr.update(choices=_version_choices(ctx, "persona", keep_persona, caller), value=DEFAULT_VERSION),
            gr.update(choices=scene_choices, value=keep_scene, info=picker_info(caller, "scene")),
            gr.update(choices=_version_choices(ctx, "scene", keep_scene, caller), value=DEFAULT_VERSION),
        )

    async def send_typed(webrtc_id: Any, text: str) -> str:
        text = (text or "").strip()
        if not text:
            return ""
        live = registry.get(getattr(webrtc_id, "webrtc_id", webrtc_id))
        if live is None:
            raise gr.Error(tr("live.start_first"))
        try:
            await live.send_text(text[:2000])
        except RuntimeError as exc:
            raise gr.Error(tr("live.send_failed", error=exc)) from exc
        return ""

    gr.on([typed.submit, send.click], send_typed, inputs=[webrtc, typed], outputs=typed)

    def refresh(current: str | None) -> tuple[Any, str]:
        """Engines may be registered or finish loading after the page was built."""
        value = current if current in ctx.engines else default_engine_name(ctx.engines)
        return gr.update(choices=engine_choices(ctx), value=value), engines_markdown(ctx)

    root = gr.context.Context.root_block
    if root is not None:
        root.load(refresh, inputs=engine, outputs=[engine, engine_status])
        pickers = [persona, persona_version, scene, scene_version]
        root.load(pickers_for, [persona, scene], [role, *pickers], api_name="live_pickers")
        root.load(None, js=MIC_CHECK_JS)
        root.load(None, js=BARGE_IN_JS)
        root.load(None, js=live_shortcuts.SHORTCUTS_JS)
        root.load(None, js=live_words.SWAP_JS)
        root.load(None, js=live_announcer.ARIA_JS)
    # An engine that is still loading its models turns usable on its own: keep its line current.
    gr.Timer(5.0).tick(lambda: engines_markdown(ctx), outputs=engine_status, show_progress="hidden")
