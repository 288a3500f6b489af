"""The threads that run the embedded engine's blocking model work (ASR, TTS, prompt warm-ups).

Not `asyncio.to_thread`: that uses the event loop's default executor (min(32, cores + 4) threads),
where aiortc also Opus-encodes every 20 ms frame of reply audio it sends to a browser. A model job
holds its worker for a whole transcription or phrase, and several wait in theirs for a model lock
(one synthesis at a time, one transcription at a time). A few conversations at once on a 2-core
machine (6 default workers) can fill it; each frame's encode then queues behind model work and the
audio leaves in bursts, which Chrome answers by holding more audio before playing any. With one
conversation the live bench showed no change (its late frames came with idle workers, from CPU
contention); this keeps model work from ever delaying the audio path.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def model_work_pool() -> ThreadPoolExecutor:
    """The process-wide pool (the models are process-wide too); made on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=min(32, (os.cpu_count() or 1) + 4), thread_name_prefix="model-work")
        return _pool


async def run_model_work(work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`asyncio.to_thread`, on the model pool: runs `work` there with this task's context variables."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, work, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(model_work_pool(), call)
