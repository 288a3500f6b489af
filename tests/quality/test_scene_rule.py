"""The quality lab follows the one scene rule: a check script that names no scene runs under the persona's home
scene (none without one), `none` runs without a scene tone, and each A/B side names the scene it used."""

from __future__ import annotations

from stepaudio_ui.quality.ab import AbConfig, ask_both
from stepaudio_ui.quality.runner import run_check
from tests.quality.conftest import greeting_script


async def test_check_runs_under_the_home_scene_unless_a_scene_is_named(library, quality_engine, embedder, tmp_path):
    async def run(persona: str, **kwargs: object) -> tuple[str | None, int | None]:
        script = greeting_script(persona=persona, scene=None, max_words=40)  # type: ignore[arg-type]
        record = await run_check(
            db=library, engine=quality_engine, script=script, data_dir=tmp_path, embedder=embedder, **kwargs
        )
        return record.scene_slug, record.scene_version

    assert await run("nova-in-car") == ("in-car", 1)  # the script names no scene: Nova's home scene
    assert await run("nova-in-car", scene_slug="none") == (None, None)  # asked for no scene tone
    assert await run("nova-in-car", scene_slug="support-desk") == ("support-desk", 1)
    assert await run("captain-grizzle") == (None, None)  # no home scene: none, not the first scene


async def test_ab_labels_name_the_scene_each_side_used(library, quality_engine, tmp_path):
    home = AbConfig(persona="nova-in-car", scene=None, engine="embedded")
    bare = AbConfig(persona="nova-in-car", scene="none", engine="embedded")
    first, second = await ask_both(
        db=library, engines={"embedded": quality_engine}, a=home, b=bare, text="Hi.", out_dir=tmp_path
    )
    assert first.label == "nova-in-car v1 x in-car v1 on embedded (qwen2.5-coder-0.5b)"
    assert second.label == "nova-in-car v1 x no scene tone on embedded (qwen2.5-coder-0.5b)"
