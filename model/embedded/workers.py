"""The threads that run the embedded engine's blocking model work (ASR, TTS, prompt warm-ups).

Not `asyncio.to_thread`: that uses the event loop's default executor (min(32, cores + 4) threads),
where aiortc also Opus-encodes every 20 ms frame of reply audio it sends to a browser. A model job
holds its worker for a whole transcription or phrase, and several wait in theirs for a model lock
(one synthesis at a time, one transcription at a time). A few conversations at once on a 2-core
machine (6 default workers) can fill it; each frame's encode then queues behind model work and the
audio leaves in bursts, which Chrome answers by holding more audio before playing any. With one
conversation the live bench showed no change (its late frames came with idle workers, from CPU
contention); this keeps model work from ever delaying the audio path.

That CPU contention is the other half: model threads can run at a lower priority (niceness, see
`EmbeddedOptions.model_nice`, off by default), so the event loop that paces every conversation's
audio gets a core when it wakes, and the models take the rest.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_nice = 0


@functools.cache
def model_work_pool() -> ThreadPoolExecutor:
    """The process-wide pool (the models are process-wide too); made on first use."""
    return ThreadPoolExecutor(
        max_workers=min(32, (os.cpu_count() or 1) + 4), thread_name_prefix="model-work", initializer=apply_model_nice
    )


def set_model_nice(nice: int) -> None:
    """Run model threads started from now on at this niceness (0-19; see `EmbeddedOptions.model_nice`)."""
    global _nice
    _nice = nice


def apply_model_nice() -> None:
    """Lower the calling thread's priority to the model niceness. Threads a native library starts from
    here (ONNX Runtime's and CTranslate2's pools, llama.cpp's server) inherit it, so models are loaded
    on a model thread. Only ever raised: lowering niceness again needs privileges. Linux only: there
    niceness belongs to a thread; elsewhere it would slow the whole process, event loop included."""
    if sys.platform != "linux":
        return
    if _nice > os.getpriority(os.PRIO_PROCESS, 0):  # this thread, not the whole process
        os.setpriority(os.PRIO_PROCESS, 0, _nice)


def load_on_model_thread(load: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Worker thread: `load(...)` with the model niceness applied first (see `apply_model_nice`)."""
    apply_model_nice()
    return load(*args, **kwargs)


async def run_model_work(work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`asyncio.to_thread`, on the model pool: runs `work` there with this task's context variables."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, work, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(model_work_pool(), call)
