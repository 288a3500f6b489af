"""Model work runs on its own threads, so the event loop's default executor stays free for aiortc."""

from __future__ import annotations

import asyncio
import contextvars
import os
import sys
import threading

import pytest

from model.embedded.workers import model_work_pool, run_model_work

SPEAKER: contextvars.ContextVar[str] = contextvars.ContextVar("speaker", default="nobody")


async def test_a_full_model_pool_leaves_the_default_executor_free() -> None:
    release = threading.Event()
    busy = [asyncio.ensure_future(run_model_work(release.wait, 10)) for _ in range(model_work_pool()._max_workers)]
    try:
        await asyncio.sleep(0.05)  # every model worker is now waiting (as jobs waiting on a model lock do)
        loop = asyncio.get_running_loop()
        # aiortc encodes each 20 ms audio frame this way: it must not queue behind model work.
        assert await asyncio.wait_for(loop.run_in_executor(None, lambda: "encoded"), timeout=1.0) == "encoded"
    finally:
        release.set()
        await asyncio.gather(*busy)


async def test_model_work_sees_the_callers_context_and_returns_its_result() -> None:
    SPEAKER.set("ada")
    assert await run_model_work(lambda suffix: SPEAKER.get() + suffix, "!") == "ada!"
    assert (await run_model_work(lambda: threading.current_thread().name)).startswith("model-work")


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread niceness is Linux's")
def test_model_threads_run_at_the_model_niceness_and_what_they_start_inherits_it() -> None:
    from model.embedded.workers import load_on_model_thread, set_model_nice

    seen: dict[str, int] = {}

    def load() -> None:  # a model load: the native thread pools it starts are threads like this one's child
        seen["loader"] = os.getpriority(os.PRIO_PROCESS, 0)
        child = threading.Thread(target=lambda: seen.update(child=os.getpriority(os.PRIO_PROCESS, 0)))
        child.start()
        child.join()

    set_model_nice(3)
    try:
        loader = threading.Thread(target=load_on_model_thread, args=(load,))
        loader.start()
        loader.join()
    finally:
        set_model_nice(0)
    assert seen == {"loader": 3, "child": 3}
    assert os.getpriority(os.PRIO_PROCESS, 0) == 0, "only the model thread is lowered, not the caller"
