"""Inputs that used to drop a /v1/realtime connection or leak exception text now get a clear `error` event.

Each case is sent by a raw WebSocket client to the real server; the error must name the field at fault
(`param`), the connection must go on working, and a server-side failure must reach the client as a plain
sentence with an id (the traceback, under the same id, is in the server log), never the exception's text.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from typing import Any

import pytest
from websockets.asyncio.client import connect

from tests.realtime.conftest import PERSONA_SLUG, RunningServer, next_event

pytestmark = pytest.mark.models

TIMEOUT_S = 30.0


def _update(session: Any) -> str:
    return json.dumps({"type": "session.update", "session": session})


@pytest.mark.parametrize(
    ("message", "code", "param"),
    [
        (_update({"audio": 5}), "invalid_event", "session.audio"),
        (_update({"audio": {"input": "loud"}}), "invalid_event", "session.audio.input"),
        (_update({"audio": {"output": {"format": "mp3"}}}), "invalid_event", "session.audio.output.format"),
        (_update({"type": "realtime", "output_modalities": 7}), "invalid_event", "session.output_modalities"),
        ("[" * 5_000 + "]" * 5_000, "invalid_json", None),
        ('{"type": "session.update", "session": {"temperature": 1' + "0" * 5_000 + "}}", "invalid_json", None),
        (json.dumps({"type": "conversation.item.create", "item": {"content": [5]}}), "invalid_event", None),
    ],
    ids=[
        "audio-number",
        "audio-input-string",
        "format-string",
        "modalities-number",
        "deep-nesting",
        "huge-number",
        "content-part-number",
    ],  # fmt: skip
)
async def test_bad_input_gets_an_error_naming_the_field_and_the_session_goes_on(
    fast_server: RunningServer, message: str, code: str, param: str | None
) -> None:
    async with connect(fast_server.url) as ws:
        await next_event(ws, "session.created")
        await ws.send(message)
        error = (await next_event(ws, "error"))["error"]
        assert error["code"] == code and error["message"], error
        if param is not None:
            assert error["param"] == param and param in error["message"], error
        await ws.send(_update({"instructions": "Still here?"}))
        assert (await next_event(ws, "session.updated"))["session"]["instructions"] == "Still here?"


async def test_a_server_fault_is_reported_with_an_id_not_its_text(
    fast_server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    # The database file turns into a folder: SQLite fails with its own message, naming the path.
    database = fast_server.ctx.settings.data_dir / "studio.db"
    fast_server.ctx.db.dispose()
    database.unlink()
    database.mkdir()
    try:
        with caplog.at_level(logging.ERROR):
            async with connect(f"{fast_server.url}?model={PERSONA_SLUG}") as ws:
                error = (await next_event(ws, "error"))["error"]
    finally:
        shutil.rmtree(database)
    assert error["code"] == "server_error"
    message = error["message"]
    assert "could not prepare the session" in message
    assert not re.search(r"sqlite|OperationalError|studio\.db|Traceback", message, re.IGNORECASE), message
    error_id = re.search(r"error id (err_\d+)", message)
    assert error_id and error_id.group(1) in caplog.text  # the log has the details under the same id
