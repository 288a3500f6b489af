"""The Live tab: pick a persona, a scene tone and an engine, then talk over WebRTC.

Layout first, wiring after. The WebRTC component's own button starts and stops the conversation; the
handler (stepaudio_ui.live) receives the dropdowns' values as its args, and pushes transcript,
latency and status back as AdditionalOutputs.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr
from fastrtc import WebRTC

from stepaudio_ui.compose import compose_instructions
from stepaudio_ui.context import AppContext
from stepaudio_ui.live import LiveHandler, LiveRegistry
from stepaudio_ui.live_rtc import browser_rtc_configuration, enable_loopback_ice, server_rtc_configuration
from stepaudio_ui.live_view import ViewSnapshot, render_latency_chart

logger = logging.getLogger(__name__)

DEFAULT_VERSION = "published"  # the version dropdowns' first choice: published, else the latest

# The page checks the microphone itself so "no microphone" / "denied" is said before anyone presses Start.
MIC_CHECK_JS = """
async () => {
  const box = document.querySelector('#live-mic-notice');
  const say = (text, bad) => { if (box) { box.textContent = text; box.dataset.state = bad ? 'problem' : 'ok'; } };
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) {
    say('🎙️ This browser gives no microphone access here (a secure https:// or localhost page is needed). You can still type.', true);
    return;
  }
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    if (!devices.some(d => d.kind === 'audioinput')) {
      say('🎙️ No microphone found: plug one in and reload, or type to the persona below.', true);
      return;
    }
    if (navigator.permissions) {
      const status = await navigator.permissions.query({name: 'microphone'});
      const show = () => status.state === 'denied'
        ? say('🎙️ Microphone access is blocked: allow it in the address bar, then reload. You can still type.', true)
        : say('🎙️ Microphone ready: press Start conversation and speak.', false);
      status.onchange = show;
      show();
      return;
    }
    say('🎙️ Microphone found: press Start conversation and speak.', false);
  } catch (err) {
    say('🎙️ Could not check the microphone: ' + err, true);
  }
}
"""


def _choices(ctx: AppContext, kind: str) -> list[tuple[str, str]]:
    from stepaudio_ui import studio

    with ctx.db.session() as s:
        items = studio.list_items(s, kind=kind, limit=500)
    return sorted(((f"{item.name} ({item.slug})", item.slug) for item in items), key=lambda choice: choice[0].lower())


def _version_choices(ctx: AppContext, kind: str, slug: str | None) -> list[tuple[str, str | int]]:
    from stepaudio_ui import studio

    if not slug:
        return [("published", DEFAULT_VERSION)]
    with ctx.db.session() as s:
        versions = studio.list_versions(s, kind=kind, slug=slug)
    published = next((v.number for v in versions if v.published), None)
    default_label = f"published (v{published})" if published else f"latest (v{versions[0].number})" if versions else "-"
    return [(default_label, DEFAULT_VERSION)] + [
        (f"v{v.number}{' · published' if v.published else ''} — {v.note or v.author}", v.number) for v in versions
    ]


def engine_choices(ctx: AppContext) -> list[tuple[str, str]]:
    """Every engine, unusable ones labelled with the reason (picking one says so when starting)."""
    choices = []
    for name, engine in ctx.engines.items():
        availability = engine.availability()
        label = name if availability.usable else f"{name} — unavailable: {availability.reason}"
        choices.append((label, name))
    return choices


def _first_usable_engine(ctx: AppContext) -> str | None:
    usable = [name for name, engine in ctx.engines.items() if engine.availability().usable]
    return usable[0] if usable else next(iter(ctx.engines), None)


def engines_markdown(ctx: AppContext) -> str:
    if not ctx.engines:
        return "⚠️ No voice engine is configured on this server."
    return "  \n".join(f"{mark} **{name}**{': ' + text if text else ''}" for name, (mark, text) in _states(ctx))


def _states(ctx: AppContext) -> list[tuple[str, tuple[str, str]]]:
    states = []
    for name, engine in ctx.engines.items():
        availability = engine.availability()
        if not availability.usable:
            states.append((name, ("❌", availability.reason)))
        elif getattr(engine, "models", True) is None:  # an engine with local models not yet loaded
            states.append((name, ("⏳", "loading its models; a conversation started now waits for them")))
        else:
            states.append((name, ("✅", "ready")))
    return states


def preview_instructions(
    ctx: AppContext, persona: str | None, persona_version: Any, scene: str | None, scene_version: Any
) -> str:
    """Exactly the instructions the engine will get (compose is deterministic)."""
    from stepaudio_ui import studio

    if not persona or not scene:
        return "Pick a persona and a scene tone."
    try:
        with ctx.db.session() as s:
            p = _version(studio, s, "persona", persona, persona_version)
            sc = _version(studio, s, "scene", scene, scene_version)
    except studio.StudioError as exc:
        return f"⚠️ {exc}"
    return compose_instructions(p.spec, sc.spec)


def _version(studio: Any, s: Any, kind: str, slug: str, version: Any) -> Any:
    if isinstance(version, int):
        return studio.get_version(s, kind=kind, slug=slug, number=version)
    return studio.get_default_version(s, kind=kind, slug=slug)


def show_snapshot(snapshot: ViewSnapshot) -> tuple[list[dict[str, str]], str, str]:
    return list(snapshot.messages), snapshot.latency_html, snapshot.status


def build(ctx: AppContext) -> None:
    """Lay out the Live tab inside the caller's Blocks/Tab context, and wire it."""
    settings = ctx.settings
    if settings.webrtc_loopback_only:
        enable_loopback_ice()
    registry = LiveRegistry()
    personas, scenes = _choices(ctx, "persona"), _choices(ctx, "scene")
    first_persona = personas[0][1] if personas else None
    first_scene = scenes[0][1] if scenes else None

    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            persona = gr.Dropdown(personas, value=first_persona, label="Persona", elem_id="live-persona")
            persona_version = gr.Dropdown(
                _version_choices(ctx, "persona", first_persona), value=DEFAULT_VERSION, label="Persona version"
            )
            scene = gr.Dropdown(scenes, value=first_scene, label="Scene tone", elem_id="live-scene")
            scene_version = gr.Dropdown(
                _version_choices(ctx, "scene", first_scene), value=DEFAULT_VERSION, label="Scene version"
            )
            engine = gr.Dropdown(
                engine_choices(ctx), value=_first_usable_engine(ctx), label="Engine", elem_id="live-engine"
            )
            engine_status = gr.Markdown(engines_markdown(ctx), elem_id="live-engine-status")
            with gr.Accordion("Composed instructions (what the engine receives)", open=False):
                instructions = gr.Textbox(
                    preview_instructions(ctx, first_persona, DEFAULT_VERSION, first_scene, DEFAULT_VERSION),
                    lines=14,
                    max_lines=30,
                    interactive=False,
                    show_label=False,
                    elem_id="live-instructions",
                )
        with gr.Column(scale=2):
            gr.HTML("🎙️ Checking the microphone…", elem_id="live-mic-notice")
            status = gr.Markdown("Press **Start conversation** and speak.", elem_id="live-status")
            webrtc = WebRTC(
                label="Conversation",
                modality="audio",
                mode="send-receive",
                rtc_configuration=browser_rtc_configuration(settings),
                server_rtc_configuration=server_rtc_configuration(settings),
                button_labels={"start": "Start conversation", "stop": "Stop", "waiting": "Connecting…"},
                full_screen=False,
                elem_id="live-webrtc",
            )
            transcript = gr.Chatbot(type="messages", label="Transcript", height=360, elem_id="live-transcript")
            with gr.Row():
                typed = gr.Textbox(
                    label="Type to the persona",
                    placeholder="Type a message and press Enter",
                    scale=4,
                    elem_id="live-typed",
                )
                send = gr.Button("Send", scale=1, elem_id="live-send")
            latency = gr.HTML(render_latency_chart([]), label="Latency per turn", elem_id="live-latency")

    # ------------------------------------------------------------------ wiring
    handler = LiveHandler(ctx, registry)
    webrtc.stream(
        handler,
        inputs=[webrtc, persona, persona_version, scene, scene_version, engine],
        outputs=[webrtc],
        time_limit=settings.conversation_time_limit_s,
        concurrency_limit=settings.max_conversations,
    )
    # One long-lived output stream per conversation: unlimited, or the 9th conversation would wait for a slot.
    webrtc.on_additional_outputs(
        show_snapshot, outputs=[transcript, latency, status], concurrency_limit=None, show_progress="hidden"
    )

    def pick_persona(slug: str | None) -> Any:
        return gr.update(choices=_version_choices(ctx, "persona", slug), value=DEFAULT_VERSION)

    def pick_scene(slug: str | None) -> Any:
        return gr.update(choices=_version_choices(ctx, "scene", slug), value=DEFAULT_VERSION)

    persona.input(pick_persona, persona, persona_version)
    scene.input(pick_scene, scene, scene_version)
    gr.on(
        [persona.change, persona_version.change, scene.change, scene_version.change],
        lambda *values: preview_instructions(ctx, *values),
        inputs=[persona, persona_version, scene, scene_version],
        outputs=instructions,
    )

    async def send_typed(webrtc_id: Any, text: str) -> str:
        text = (text or "").strip()
        if not text:
            return ""
        live = registry.get(getattr(webrtc_id, "webrtc_id", webrtc_id))
        if live is None:
            raise gr.Error("Start the conversation first (the Start conversation button), then type.")
        try:
            await live.send_text(text[:2000])
        except RuntimeError as exc:
            raise gr.Error(f"Could not send: {exc}. Wait for the engine to be ready, then try again.") from exc
        return ""

    gr.on([typed.submit, send.click], send_typed, inputs=[webrtc, typed], outputs=typed)

    def refresh(current: str | None) -> tuple[Any, str]:
        """Engines may be registered or finish loading after the page was built."""
        value = current if current in ctx.engines else _first_usable_engine(ctx)
        return gr.update(choices=engine_choices(ctx), value=value), engines_markdown(ctx)

    root = gr.context.Context.root_block
    if root is not None:
        root.load(refresh, inputs=engine, outputs=[engine, engine_status])
        root.load(None, js=MIC_CHECK_JS)
    # An engine that is still loading its models turns usable on its own: keep its line current.
    gr.Timer(5.0).tick(lambda: engines_markdown(ctx), outputs=engine_status, show_progress="hidden")
