"""The prompt a session's next reply starts with is evaluated ahead of time, one session at a time; a reply never
evaluates it beside a warm-up of the same prompt.

In `bench brain` each persona's first reply on the 0.5B came 10-12 s after its turn (later turns: ~0.4 s): its
session's warm-up was still queued behind another session's when the turn came, so the reply did not wait for
it, and the warm-up then started beside the reply, evaluating the same prompt in llama.cpp's other slot on the
same cores.
"""

from __future__ import annotations

from model.embedded.models import EmbeddedModels
from model.embedded.reply.history import ConversationHistory
from model.embedded.reply.prompts import SessionPrompts
from model.embedded.shared import SharedModels
from model.events import SessionConfig

NOVA = SessionConfig(instructions="You are Nova, a calm in-car assistant. Answer briefly.", language="en")
SAM = SessionConfig(instructions="You are Sam, a patient support agent for a home internet provider.", language="en")


def _session(shared: SharedModels) -> SessionPrompts:
    return SessionPrompts(shared, ConversationHistory(shared.count_tokens, shared.context_tokens))


async def test_a_reply_drops_a_warm_up_still_queued_instead_of_running_beside_it(
    embedded_models: EmbeddedModels,
) -> None:
    shared = SharedModels(embedded_models, llm_writes_chinese=True, copy_guard=True)
    first, second = _session(shared), _session(shared)
    first.warm_next(NOVA)
    second.warm_next(SAM)  # queued: one session's warm-up at a time
    await second.prompt_ready()  # a typed turn to the second session, right away
    await first.warmed()  # the first session's warm-up ends, freeing the queue...
    await second.warmed()
    # ... and the second one's does not start after all: its reply evaluates the prompt itself.
    assert second._last_warm is None and second._prompt_warming is None
    assert first._last_warm is not None and first._prompt_warming is not None and first._prompt_warming.done()
    await first.close()
    await second.close()


async def test_a_listener_waits_for_its_warm_up_even_while_it_is_queued(embedded_models: EmbeddedModels) -> None:
    shared = SharedModels(embedded_models, llm_writes_chinese=True, copy_guard=True)
    first, second = _session(shared), _session(shared)
    first.warm_next(NOVA)
    second.warm_next(SAM)
    await second.warmed()  # what `bench brain` and check runs wait for before each typed turn
    assert second._prompt_warming is not None and second._prompt_warming.done()
    assert second._last_warm is not None
    await second.prompt_ready()  # nothing left to wait for or drop
    await first.close()
    await second.close()
