"""`/v1/realtime?model=` serves published personas only, as the README promises: an unpublished draft and
an archived persona look absent, and without `?model=` the default is a published persona even when an
unpublished one is older. Real server, real WebSocket, real SQLite library."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import connect

from stepaudio_ui.context import AppContext
from stepaudio_ui.realtime.access import RealtimeRefused, resolve_target
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio import store
from tests.realtime.conftest import PERSONA_SLUG, RunningServer, build_realtime_app, serve

pytestmark = pytest.mark.models

DRAFT = {"name": "Draft Dan", "character": "An unreleased persona with a secret brief.", "voice": "jf_alpha"}
RETIRED = {"name": "Old Otto", "character": "A persona that was published, then archived.", "voice": "jf_alpha"}


@pytest.fixture
def server(settings: Any, unpaced_engine: Any) -> Iterator[RunningServer]:
    app, ctx = build_realtime_app(settings, {"embedded": unpaced_engine})
    with ctx.db.session() as s:
        studio.create_item(s, kind="persona", slug="draft-dan", spec=DRAFT, author="tests")
        studio.create_item(s, kind="persona", slug="old-otto", spec=RETIRED, author="tests")
        studio.publish_version(s, kind="persona", slug="old-otto", number=1)
        studio.set_archived(s, kind="persona", slug="old-otto", archived=True)
        # a draft on top of the published persona: the endpoint must still speak the published v1
        spec = studio.get_version(s, kind="persona", slug=PERSONA_SLUG).spec
        changed = spec.model_copy(update={"character": "A DRAFT brief nobody approved."})
        studio.save_version(s, kind="persona", slug=PERSONA_SLUG, spec=changed, base_number=1, author="tests")
    with serve(app, ctx.settings) as port:
        yield RunningServer(app=app, ctx=ctx, port=port)


async def _first(url: str) -> dict[str, Any]:
    async with connect(url) as ws:
        return json.loads(await asyncio.wait_for(ws.recv(), 30))


@pytest.mark.parametrize("slug", ["draft-dan", "old-otto"], ids=["unpublished", "archived"])
async def test_unpublished_and_archived_personas_are_not_served(server: RunningServer, slug: str) -> None:
    event = await _first(f"{server.url}?model={slug}")
    assert event["type"] == "error" and event["error"]["code"] == "unknown_model"
    assert "published persona" in event["error"]["message"]
    assert server.app.state.realtime.opened == 0


async def test_a_published_persona_is_served_at_its_published_version(server: RunningServer) -> None:
    event = await _first(f"{server.url}?model={PERSONA_SLUG}")
    assert event["type"] == "session.created"
    assert "DRAFT brief" not in event["session"]["instructions"]
    assert "old clocks" in event["session"]["instructions"]


def test_the_default_persona_setting_serves_published_personas_only(settings: Any, unpaced_engine: Any) -> None:
    db = store.Database.from_settings(settings)
    db.migrate()
    with db.session() as s:
        studio.create_item(s, kind="persona", slug="draft-dan", spec=DRAFT, author="tests")
        studio.create_item(s, kind="persona", slug="old-otto", spec=RETIRED, author="tests")
        studio.publish_version(s, kind="persona", slug="old-otto", number=1)
    for slug in ("draft-dan", "old-otto"):
        ctx = AppContext(
            settings=settings.model_copy(update={"default_persona": slug}),
            db=db,
            engines={"embedded": unpaced_engine},
        )
        if slug == "draft-dan":  # a draft named by the server's own setting is refused, never served
            with pytest.raises(RealtimeRefused) as refused:
                resolve_target(ctx, None, None)
            assert refused.value.code == "default_persona_unavailable"
            continue
        target = resolve_target(ctx, None, None)
        assert target.resolved.selection.persona_slug == "old-otto"
        assert target.resolved.persona_version == 1
