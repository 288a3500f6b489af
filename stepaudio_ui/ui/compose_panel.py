"""The Compose tab: the exact session config a persona version x scene version gives every engine."""

from __future__ import annotations

from typing import Any

import gradio as gr

from stepaudio_ui.context import AppContext
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.compose import compose_session
from stepaudio_ui.studio.published_scope import listed_items
from stepaudio_ui.studio.specs import NO_SCENE
from stepaudio_ui.ui.live_scene import with_no_scene
from stepaudio_ui.ui.render import user_errors
from stepaudio_ui.web.access import AccessError, AccessPolicy

PICK_LIMIT = 200  # dropdowns are for picking; the library tabs search the rest
STUDIO_ERRORS: tuple[type[Exception], ...] = (studio.StudioError, AccessError)


class ComposePreview:
    def __init__(self, ctx: AppContext, policy: AccessPolicy) -> None:
        self.ctx = ctx
        self.policy = policy
        gr.Markdown(
            "Pick a persona version and a scene-tone version to see the instructions, voice, speed, language "
            "and turn-taking that every engine receives. The default versions are the published ones."
        )
        with gr.Row(equal_height=True):
            self.persona = gr.Dropdown(label="Persona", choices=[])
            self.persona_version = gr.Dropdown(label="Persona version", choices=[])
            self.scene = gr.Dropdown(label="Scene tone", choices=[])
            self.scene_version = gr.Dropdown(label="Scene tone version", choices=[])
        with gr.Row():
            self.refresh_button = gr.Button("Refresh lists")
            self.compose_button = gr.Button("Compose preview", variant="primary")
        self.instructions = gr.Textbox(label="Composed instructions", lines=14, max_lines=40, interactive=False)
        self.settings_table = gr.Dataframe(
            headers=["Setting", "Value"],
            label="Session settings",
            interactive=False,
            wrap=True,
            elem_classes="session-settings",
        )
        self.persona.input(self.versions_for("persona"), [self.persona], [self.persona_version])
        self.scene.input(self.versions_for("scene"), [self.scene], [self.scene_version])
        self.refresh_button.click(self.item_choices, None, [self.persona, self.scene])
        pickers = [self.persona, self.persona_version, self.scene, self.scene_version]
        self.compose_button.click(self.compose, pickers, [self.instructions, self.settings_table])

    @user_errors(expected=STUDIO_ERRORS)
    def item_choices(self, request: gr.Request) -> tuple[Any, Any]:
        role = "editor" if self.policy.can_edit(request) else "viewer"
        with self.ctx.db.session() as s:  # viewers compose published versions only, named as published
            personas = listed_items(s, kind="persona", role=role, limit=PICK_LIMIT)
            scenes = listed_items(s, kind="scene", role=role, limit=PICK_LIMIT)
        return (
            gr.update(choices=[(f"{item.name} ({item.slug})", item.slug) for item in personas]),
            gr.update(choices=with_no_scene([(f"{item.name} ({item.slug})", item.slug) for item in scenes])),
        )

    def versions_for(self, kind: str) -> Any:
        @user_errors(expected=STUDIO_ERRORS)
        def versions(request: gr.Request, slug: str | None) -> Any:
            if not slug or slug == NO_SCENE:
                return gr.update(choices=[], value=None)
            with self.ctx.db.session() as s:
                default = studio.get_default_version(s, kind=kind, slug=slug)
                listed = studio.list_versions(s, kind=kind, slug=slug)
            if not self.policy.can_edit(request):
                listed = [v for v in listed if v.published]
                if not default.published:
                    raise studio.NotFoundError(f"no published {kind} {slug!r}: viewers see published versions only")
            choices = [(f"v{v.number}" + (" (published)" if v.published else ""), v.number) for v in listed]
            return gr.update(choices=choices, value=default.number)

        versions.__name__ = f"{kind}_versions"
        return versions

    @user_errors(expected=STUDIO_ERRORS)
    def compose(
        self,
        request: gr.Request,
        persona: str | None,
        persona_version: int | None,
        scene: str | None,
        scene_version: int | None,
    ) -> tuple[str, list[list[str]]]:
        if not persona or not scene:
            raise gr.Error(
                "Choose both a persona and a scene tone, or 'No scene tone' (press 'Refresh lists' if one is missing)."
            )
        with self.ctx.db.session() as s:
            persona_view = studio.get_version(s, kind="persona", slug=persona, number=persona_version)
            scene_view = (
                None if scene == NO_SCENE else studio.get_version(s, kind="scene", slug=scene, number=scene_version)
            )
        if not self.policy.can_edit(request) and not (
            persona_view.published and (scene_view is None or scene_view.published)
        ):
            raise AccessError("Viewers can compose published versions only: pick the versions marked (published).")
        config = compose_session(persona_view.spec, scene_view.spec if scene_view else None)  # type: ignore[arg-type]
        turns = config.turn_detection
        scene_used = f"{scene} v{scene_view.number}" if scene_view else "no scene tone"
        rows = [
            ["Versions", f"{persona} v{persona_view.number} × {scene_used}"],
            ["Voice", config.voice or "—"],
            ["Speed", f"{config.speed:g}" if config.speed is not None else "—"],
            ["Language", config.language or "—"],
            ["Silence before the reply", f"{turns.silence_duration_ms} ms" if turns else "—"],
            ["The user may interrupt", ("yes" if turns.interrupt_response else "no") if turns else "—"],
            ["Max sentences per reply", str(getattr(config, "max_sentences", None) or "—")],
            ["Greeting", config.greeting or "—"],
        ]
        return config.instructions or "", rows


def build(ctx: AppContext, *, demo: gr.Blocks, policy: AccessPolicy) -> ComposePreview:
    preview = ComposePreview(ctx, policy)
    demo.load(preview.item_choices, None, [preview.persona, preview.scene])
    return preview
