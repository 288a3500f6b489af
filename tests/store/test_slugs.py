"""A slug derived from a name keeps the name readable: Chinese names in pinyin, accents dropped, and the
item's kind only when nothing speakable is left (before, every Chinese name became "persona")."""

from __future__ import annotations

from sqlmodel import Session

from stepaudio_ui.studio import library as studio
from tests.store.examples import persona_spec, scene_spec


def test_chinese_names_become_pinyin_slugs(session: Session) -> None:
    assert studio.create_item(session, kind="persona", spec=persona_spec("小星"), author="k").slug == "xiao-xing"
    assert (
        studio.create_item(session, kind="persona", spec=persona_spec("林老师 Lin"), author="k").slug
        == "lin-lao-shi-lin"
    )
    assert studio.create_item(session, kind="scene", spec=scene_spec("客服热线"), author="k").slug == "ke-fu-re-xian"
    assert studio.create_item(session, kind="persona", spec=persona_spec("小星"), author="k").slug == "xiao-xing-2"


def test_accents_are_dropped_and_symbols_fall_back_to_the_kind(session: Session) -> None:
    assert studio.create_item(session, kind="persona", spec=persona_spec("Zoë Café"), author="k").slug == "zoe-cafe"
    assert studio.create_item(session, kind="scene", spec=scene_spec("🌙✨"), author="k").slug == "scene"
