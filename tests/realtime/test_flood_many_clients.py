"""50 hostile clients at once on /v1/realtime while one well-behaved client keeps talking to it.

The hostile ones send what a broken or malicious client would: malformed JSON, oversized frames,
binary frames, unknown events, a message flood, and connections without the token. The well-behaved
client's session.update round trips are timed before and during the flood; the figures are written
to test-output/realtime-flood.json (numbers to read, not a timed assertion), and the test checks that
every one of its requests was answered and that each hostile client got an error or was closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.realtime.conftest import RunningServer, build_realtime_app, serve

pytestmark = pytest.mark.models
logger = logging.getLogger(__name__)

TOKEN = "flood-test-token"
HOSTILE_CLIENTS = 50
PROBES = 20
TIMEOUT_S = 30.0
MAX_BYTES = 4_000


@pytest.fixture
def guarded_server(settings: Any, unpaced_engine: Any) -> Iterator[RunningServer]:
    strict = settings.model_copy(
        update={
            "realtime_token": SecretStr(TOKEN),
            "realtime_max_message_bytes": MAX_BYTES,
            "realtime_max_messages_per_second": 20.0,
        }
    )
    app, ctx = build_realtime_app(strict, {"embedded": unpaced_engine})
    with serve(app, ctx.settings) as port:
        yield RunningServer(app=app, ctx=ctx, port=port)


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


async def _next(ws: ClientConnection, wanted: str) -> dict[str, Any]:
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
        if event["type"] == wanted:
            return event


async def _probe_round_trips(ws: ClientConnection, count: int) -> list[float]:
    """Milliseconds from sending a session.update to its session.updated, `count` times."""
    times = []
    for index in range(count):
        text = f"Probe {index}: still answering?"
        started = time.perf_counter()
        await ws.send(json.dumps({"type": "session.update", "session": {"instructions": text}}))
        updated = await _next(ws, "session.updated")
        times.append((time.perf_counter() - started) * 1000)
        assert updated["session"]["instructions"] == text  # its own answer, not someone else's
        await asyncio.sleep(0.05)
    return times


def _hostile_payloads(kind: int) -> list[str | bytes]:
    if kind == 0:
        return ["{not json"] * 10
    if kind == 1:
        return [json.dumps({"type": "input_audio_buffer.append", "audio": "A" * (MAX_BYTES * 4)})] * 5
    if kind == 2:
        return [b"\x00\xff binary garbage"] * 10
    if kind == 3:
        return [json.dumps({"type": "session.teleport", "x": [1] * 100})] * 10
    return [json.dumps({"type": "input_audio_buffer.clear"})] * 300  # a flood: 15x the per-second limit


async def _hostile_client(url: str, kind: int) -> str:
    """One bad client; returns how the server dealt with it ('error', 'closed' or 'refused')."""
    if kind == 5:  # no token at all
        try:
            async with connect(url) as ws:
                event = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
                return "refused" if event["type"] == "error" else "served"
        except (ConnectionClosed, InvalidStatus):
            return "refused"
    outcome = "ignored"
    try:
        async with connect(url, additional_headers=_auth(), max_size=None) as ws:
            await _next(ws, "session.created")
            for payload in _hostile_payloads(kind):
                await ws.send(payload)
            while True:  # read until the server has answered with an error (or hung up on us)
                event = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
                if event["type"] == "error":
                    outcome = "error"
                    if kind != 4:
                        return outcome
    except ConnectionClosed:
        return "closed" if outcome == "ignored" else outcome
    except TimeoutError:
        return outcome
    return outcome


async def test_fifty_hostile_clients_leave_a_calm_client_served(
    guarded_server: RunningServer, output_dir: Path
) -> None:
    async with connect(guarded_server.url, additional_headers=_auth()) as calm:
        await _next(calm, "session.created")
        baseline = await _probe_round_trips(calm, PROBES)
        hostile = [
            asyncio.create_task(_hostile_client(guarded_server.url, index % 6)) for index in range(HOSTILE_CLIENTS)
        ]
        during = await _probe_round_trips(calm, PROBES)
        outcomes = await asyncio.gather(*hostile)
        after = await _probe_round_trips(calm, 3)

    assert len(during) == PROBES and len(after) == 3  # every request of the calm client was answered
    assert "served" not in outcomes and "ignored" not in outcomes, outcomes
    figures = {
        "hostile_clients": HOSTILE_CLIENTS,
        "outcomes": {name: outcomes.count(name) for name in sorted(set(outcomes))},
        "calm_round_trip_ms": {
            "before_median": round(statistics.median(baseline), 2),
            "before_max": round(max(baseline), 2),
            "during_median": round(statistics.median(during), 2),
            "during_max": round(max(during), 2),
        },
    }
    (output_dir / "realtime-flood.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    logger.info("realtime flood: %s", figures)
