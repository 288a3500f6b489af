"""The Compose tab: the exact session config a persona version x scene version gives every engine."""

from __future__ import annotations

from typing import Any

import gradio as gr

from stepaudio_ui.context import AppContext
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.compose import compose_session
from stepaudio_ui.studio.published_scope import listed_items
from stepaudio_ui.studio.specs import NO_SCENE
from stepaudio_ui.ui.editor_layout import version_label
from stepaudio_ui.ui.i18n import i18n, tr
from stepaudio_ui.ui.live_scene import with_no_scene
from stepaudio_ui.ui.localized_load import localize
from stepaudio_ui.ui.page import Page
from stepaudio_ui.ui.render import user_errors
from stepaudio_ui.web.access import AccessError, AccessPolicy

PICK_LIMIT = 200  # dropdowns are for picking; the library tabs search the rest
STUDIO_ERRORS: tuple[type[Exception], ...] = (studio.StudioError, AccessError)


def settings_table(rows: list[list[str]]) -> dict[str, Any]:
    return {"headers": [tr("compose.setting"), tr("compose.value")], "data": rows or [["", ""]]}


class ComposePreview:
    def __init__(self, ctx: AppContext, policy: AccessPolicy) -> None:
        self.ctx = ctx
        self.policy = policy
        gr.Markdown(i18n("compose.intro"))
        with gr.Row(equal_height=True):
            self.persona = gr.Dropdown(label=i18n("compose.persona"), choices=[])
            self.persona_version = gr.Dropdown(label=i18n("compose.persona_version"), choices=[])
            self.scene = gr.Dropdown(label=i18n("compose.scene"), choices=[])
            self.scene_version = gr.Dropdown(label=i18n("compose.scene_version"), choices=[])
        with gr.Row():
            self.refresh_button = gr.Button(i18n("compose.refresh"))
            self.compose_button = gr.Button(i18n("compose.run"), variant="primary")
        self.instructions = gr.Textbox(label=i18n("compose.instructions"), lines=14, max_lines=40, interactive=False)
        self.settings_table = gr.Dataframe(
            headers=settings_table([])["headers"],
            label=i18n("compose.settings"),
            interactive=False,
            wrap=True,
            elem_classes="session-settings",
        )
        localize(self.settings_table, lambda: settings_table([]))
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
                    raise studio.NotFoundError(tr(f"editor.{kind}.not_published", slug=slug))
            choices = [(version_label(v.number, v.published), v.number) for v in listed]
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
    ) -> tuple[str, dict[str, Any]]:
        if not persona or not scene:
            raise gr.Error(tr("compose.choose_both"))
        with self.ctx.db.session() as s:
            persona_view = studio.get_version(s, kind="persona", slug=persona, number=persona_version)
            scene_view = (
                None if scene == NO_SCENE else studio.get_version(s, kind="scene", slug=scene, number=scene_version)
            )
        if not self.policy.can_edit(request) and not (
            persona_view.published and (scene_view is None or scene_view.published)
        ):
            raise AccessError(tr("compose.viewers_published"))
        config = compose_session(persona_view.spec, scene_view.spec if scene_view else None)  # type: ignore[arg-type]
        turns = config.turn_detection
        scene_used = f"{scene} v{scene_view.number}" if scene_view else tr("scene.none")
        yes_no = (tr("render.yes") if turns.interrupt_response else tr("render.no")) if turns else "—"
        rows = [
            [tr("compose.row.versions"), f"{persona} v{persona_view.number} × {scene_used}"],
            [tr("compose.row.voice"), config.voice or "—"],
            [tr("compose.row.speed"), f"{config.speed:g}" if config.speed is not None else "—"],
            [tr("compose.row.language"), config.language or "—"],
            [tr("compose.row.silence"), f"{turns.silence_duration_ms} ms" if turns else "—"],
            [tr("compose.row.interrupt"), yes_no],
            [tr("compose.row.max_sentences"), str(getattr(config, "max_sentences", None) or "—")],
            [tr("compose.row.greeting"), config.greeting or "—"],
        ]
        return config.instructions or "", settings_table(rows)


def build(page: Page) -> ComposePreview:
    ctx, demo, policy = page.ctx, page.demo, page.policy
    preview = ComposePreview(ctx, policy)
    demo.load(preview.item_choices, None, [preview.persona, preview.scene])
    return preview
