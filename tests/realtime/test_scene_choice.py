"""Which scene tone a /v1/realtime connection gets: `?scene=SLUG`, `?scene=none`, else the persona's home
scene, else none; never whichever scene came first. Real uvicorn socket, real embedded engine, raw
`websockets` clients holding the server's token (a viewer's reach: published versions only)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr
from websockets.asyncio.client import connect

from stepaudio_ui.context import AppContext
from stepaudio_ui.realtime.access import RealtimeRefused, resolve_target
from tests.realtime.conftest import PERSONA_SLUG, SCENE_SLUG, RunningServer, build_realtime_app, serve

pytestmark = pytest.mark.models

TOKEN = "viewer-token"
TIMEOUT_S = 30.0
HOMELESS = "bo"  # a persona without a home scene
DRAFT_HOME = "cy"  # a persona whose home scene is not published
DRAFT_SCENE = "draft-hall"
ARCHIVED_SCENE = "old-hall"
OTHER_SCENE = "goodnight-room"  # published, but nobody's home


def _add_items(ctx: AppContext) -> None:
    from stepaudio_ui.studio import library as studio

    with ctx.db.session() as s:
        studio.create_item(s, kind="scene", slug=OTHER_SCENE, author="t", spec={"name": "Goodnight room"})
        studio.publish_version(s, kind="scene", slug=OTHER_SCENE, number=1)
        studio.create_item(s, kind="scene", slug=DRAFT_SCENE, author="t", spec={"name": "Draft hall"})
        studio.create_item(s, kind="scene", slug=ARCHIVED_SCENE, author="t", spec={"name": "Old hall"})
        studio.publish_version(s, kind="scene", slug=ARCHIVED_SCENE, number=1)
        studio.set_archived(s, kind="scene", slug=ARCHIVED_SCENE, archived=True)
        for slug, home in ((HOMELESS, None), (DRAFT_HOME, DRAFT_SCENE)):
            spec = {"name": slug.title(), "character": "A plain helper.", "home_scene": home}
            studio.create_item(s, kind="persona", slug=slug, author="t", spec=spec)
            studio.publish_version(s, kind="persona", slug=slug, number=1)


@pytest.fixture
def server(settings: Any, unpaced_engine: Any) -> Iterator[RunningServer]:
    app, ctx = build_realtime_app(
        settings.model_copy(update={"realtime_token": SecretStr(TOKEN)}), {"embedded": unpaced_engine}
    )
    _add_items(ctx)
    with serve(app, ctx.settings) as port:
        yield RunningServer(app=app, ctx=ctx, port=port)


def _url(server: RunningServer, **query: str) -> str:
    return f"{server.url}?{urlencode(query)}" if query else server.url


# A typed hello, so that the conversation is recorded (from its first content on), with no reply to it:
# nothing left for the model threads to do after the test.
HELLO = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]}
NO_REPLIES = {"type": "server_vad", "create_response": False}


async def _first_event(server: RunningServer, **query: str) -> dict[str, Any]:
    """Connect with the token, read the first event, say hello, hang up; wait until the server has closed
    the session."""
    async with connect(_url(server, **query), additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        event = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
        if event["type"] == "session.created":
            await ws.send(json.dumps({"type": "session.update", "session": {"turn_detection": NO_REPLIES}}))
            await ws.send(json.dumps({"type": "conversation.item.create", "item": HELLO}))
    await _until_idle(server)
    return event


async def _until_idle(server: RunningServer) -> None:
    deadline = asyncio.get_running_loop().time() + TIMEOUT_S
    while server.app.state.realtime.active:
        assert asyncio.get_running_loop().time() < deadline, "the session was never closed"
        await asyncio.sleep(0.05)


def _recorded_scenes(server: RunningServer) -> list[tuple[str | None, str | None, int | None]]:
    from stepaudio_ui.live import conversations

    with server.ctx.db.session() as s:
        rows = conversations.list_conversations(s)
    return [(row.persona_slug, row.scene_slug, row.scene_version) for row in reversed(rows)]


async def test_no_scene_asked_gives_the_home_scene_and_is_recorded(server: RunningServer) -> None:
    created = await _first_event(server, model=PERSONA_SLUG)
    instructions = created["session"]["instructions"]
    assert "Scene: Quiet chat." in instructions
    assert "Goodnight room" not in instructions
    assert _recorded_scenes(server) == [(PERSONA_SLUG, SCENE_SLUG, 1)]


async def test_a_named_scene_wins_over_the_home_scene(server: RunningServer) -> None:
    created = await _first_event(server, model=PERSONA_SLUG, scene=OTHER_SCENE)
    assert "Scene: Goodnight room." in created["session"]["instructions"]
    assert _recorded_scenes(server) == [(PERSONA_SLUG, OTHER_SCENE, 1)]


async def test_scene_none_leaves_no_scene_text_and_records_none(server: RunningServer) -> None:
    created = await _first_event(server, model=PERSONA_SLUG, scene="none")
    instructions = created["session"]["instructions"]
    assert "You are Ada." in instructions
    assert "Scene:" not in instructions and "Quiet chat" not in instructions
    assert _recorded_scenes(server) == [(PERSONA_SLUG, None, None)]


async def test_a_persona_without_a_usable_home_scene_gets_no_scene(server: RunningServer) -> None:
    for persona in (HOMELESS, DRAFT_HOME):  # none set; one set but unpublished (so not a viewer's)
        created = await _first_event(server, model=persona)
        assert "Scene:" not in created["session"]["instructions"], persona
    assert _recorded_scenes(server) == [(HOMELESS, None, None), (DRAFT_HOME, None, None)]


@pytest.mark.parametrize("asked", ["nowhere", DRAFT_SCENE, ARCHIVED_SCENE], ids=["unknown", "unpublished", "archived"])
async def test_a_scene_the_token_may_not_use_is_refused_with_the_valid_slugs(server: RunningServer, asked: str) -> None:
    error = await _first_event(server, model=PERSONA_SLUG, scene=asked)
    assert error["type"] == "error" and error["error"]["code"] == "unknown_scene"
    message = error["error"]["message"]
    assert f"unknown scene tone '{asked}'" in message
    assert f"{OTHER_SCENE}, {SCENE_SLUG}" in message and "'none'" in message  # the valid choices, sorted
    assert DRAFT_SCENE not in message.split("use one of")[1] and ARCHIVED_SCENE not in message.split("use one of")[1]
    assert _recorded_scenes(server) == []  # nothing was opened


async def test_without_a_persona_a_plain_assistant_and_no_scene(server: RunningServer) -> None:
    created = await _first_event(server)
    assert "Ada" not in (created["session"].get("instructions") or "")
    assert _recorded_scenes(server) == [(None, None, None)]  # recorded as no persona (client instructions)
    error = await _first_event(server, scene=SCENE_SLUG)
    assert error["error"]["code"] == "scene_without_persona" and "?model=" in error["error"]["message"]


def test_the_default_persona_setting_names_the_persona_when_none_is_asked(server: RunningServer) -> None:
    ctx = server.ctx
    with_default = AppContext(
        settings=ctx.settings.model_copy(update={"default_persona": PERSONA_SLUG}), db=ctx.db, engines=ctx.engines
    )
    for model in (None, "embedded"):  # no ?model=, or an engine's name
        target = resolve_target(with_default, model, None)
        assert "You are Ada." in (target.config.instructions or "") and target.resolved.scene_version == 1
    assert "Scene:" not in (resolve_target(with_default, None, None, "none").config.instructions or "")
    assert resolve_target(ctx, "embedded", None).resolved is None  # without the setting: no persona
    broken = AppContext(
        settings=ctx.settings.model_copy(update={"default_persona": "gone"}), db=ctx.db, engines=ctx.engines
    )
    with pytest.raises(RealtimeRefused, match="STEPAUDIO_DEFAULT_PERSONA='gone'") as refused:
        resolve_target(broken, None, None)
    assert refused.value.code == "default_persona_unavailable"


async def test_the_readme_example_openai_ga_client_names_the_scene(server: RunningServer) -> None:
    """As the README shows it: the SDK's GA client, `?scene=` and `?engine=` through `extra_query`."""
    from openai import AsyncOpenAI

    client = AsyncOpenAI(api_key=TOKEN, websocket_base_url=server.ws_base)
    for scene, expected in ((OTHER_SCENE, "Scene: Goodnight room."), ("none", None)):
        query = {"scene": scene, "engine": "embedded"}
        async with client.realtime.connect(model=PERSONA_SLUG, extra_query=query) as connection:
            created = await asyncio.wait_for(connection.recv(), TIMEOUT_S)
            assert created.type == "session.created", created
            instructions = created.session.instructions or ""
            assert "You are Ada." in instructions
            assert (expected in instructions) if expected else ("Scene:" not in instructions)
            no_replies = {"type": "realtime", "audio": {"input": {"turn_detection": NO_REPLIES}}}
            await connection.session.update(session=no_replies)  # type: ignore[arg-type]
            await connection.conversation.item.create(item=HELLO)  # type: ignore[arg-type]
        await _until_idle(server)
    assert _recorded_scenes(server) == [(PERSONA_SLUG, OTHER_SCENE, 1), (PERSONA_SLUG, None, None)]
