"""Chat models for real: the default packaged brain through llama.cpp, and the OpenAI-compatible client
against a real chat-completions server on a loopback socket."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from model.embedded.models import EmbeddedModels
from model.embedded.reply.llm import (
    ChatMessage,
    GenerationOptions,
    LlamaCppChat,
    OpenAICompatibleChat,
    estimate_tokens,
)

pytestmark = pytest.mark.models

PIRATE = [
    ChatMessage("system", "You are Captain Mira, a cheerful ship captain. Answer in one or two short sentences."),
    ChatMessage("user", "What do you love about sailing?"),
]


def test_llamacpp_streams_a_reply_in_pieces(embedded_models: EmbeddedModels) -> None:
    pieces = list(embedded_models.llm.stream_chat(PIRATE, GenerationOptions(max_tokens=40), threading.Event()))
    text = "".join(pieces)
    assert len(pieces) >= 5, pieces
    assert len(text.split()) >= 4 and text.isascii() is not None


def test_llamacpp_cancel_stops_promptly_and_frees_the_model(embedded_models: EmbeddedModels) -> None:
    cancel = threading.Event()
    received: list[str] = []
    for piece in embedded_models.llm.stream_chat(PIRATE, GenerationOptions(max_tokens=400), cancel):
        received.append(piece)
        if len(received) == 3:
            cancel.set()
    # The stream ended at the cancel (the loop above returned) and nothing came after it. How soon is the
    # machine's business, not this test's: a busy machine must not fail it.
    assert len(received) == 3, "no piece may arrive after cancel is set"
    # The slot is free again: a fresh short request completes.
    follow_up = list(embedded_models.llm.stream_chat(PIRATE, GenerationOptions(max_tokens=5), threading.Event()))
    assert follow_up


def test_two_concurrent_chats_both_complete(embedded_models: EmbeddedModels) -> None:
    results: dict[int, str] = {}

    def ask(index: int) -> None:
        question = [PIRATE[0], ChatMessage("user", f"Name {index + 2} things you keep on your ship.")]
        results[index] = "".join(
            embedded_models.llm.stream_chat(question, GenerationOptions(max_tokens=30), threading.Event())
        )

    workers = [threading.Thread(target=ask, args=(index,)) for index in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(results) == 2 and all(text.strip() for text in results.values()), results


def test_missing_gguf_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="GGUF path"):
        LlamaCppChat(tmp_path / "nope.gguf")


def test_token_estimate_grows_with_text_and_counts_chinese_heavier() -> None:
    assert estimate_tokens("hello world, how are you") < estimate_tokens("hello world, how are you today my friend")
    assert estimate_tokens("你好吗") > estimate_tokens("abc")


# --- OpenAI-compatible client against a real HTTP server on 127.0.0.1 -----------------------------


@dataclass
class FakeChatServer:
    """A tiny chat-completions server speaking the streaming (SSE) format; records what it received."""

    reply_words: list[str]
    endless: bool = False
    requests: list[dict] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    disconnected: threading.Event = field(default_factory=threading.Event)
    chunks_sent: int = 0

    def app(self) -> Starlette:
        async def completions(request: Request) -> Response:
            body = await request.json()
            self.requests.append(body)
            self.headers.append(dict(request.headers))
            if request.headers.get("authorization") != "Bearer secret-key":
                return JSONResponse({"error": {"message": "bad key", "type": "invalid_request_error"}}, status_code=401)
            return StreamingResponse(self._events(body["model"]), media_type="text/event-stream")

        return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])

    def _chunk(self, model: str, delta: dict, finish: str | None = None) -> str:
        payload = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(payload)}\n\n"

    async def _events(self, model: str) -> AsyncIterator[str]:
        import asyncio

        try:
            yield self._chunk(model, {"role": "assistant", "content": ""})
            index = 0
            while self.endless or index < len(self.reply_words):
                yield self._chunk(model, {"content": self.reply_words[index % len(self.reply_words)]})
                self.chunks_sent += 1
                index += 1
                await asyncio.sleep(0.02)
            yield self._chunk(model, {}, "stop")
            yield "data: [DONE]\n\n"
        finally:
            self.disconnected.set()


@pytest.fixture
def chat_server() -> Iterator[tuple[FakeChatServer, str]]:
    fake = FakeChatServer(reply_words=["Ahoy", " there", ",", " sailor", "!"])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(fake.app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the test chat server did not start"
    yield fake, f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(timeout=5)
    listener.close()


def test_openai_client_streams_pieces_from_a_real_server(chat_server: tuple[FakeChatServer, str]) -> None:
    fake, url = chat_server
    chat = OpenAICompatibleChat(url, "secret-key", "tiny-test-model")
    options = GenerationOptions(max_tokens=20, temperature=0.3, stop=("\n",))
    pieces = list(chat.stream_chat(PIRATE, options, threading.Event()))
    assert pieces == ["Ahoy", " there", ",", " sailor", "!"]
    sent = fake.requests[0]
    assert sent["model"] == "tiny-test-model" and sent["stream"] is True
    assert sent["max_tokens"] == 20 and sent["temperature"] == 0.3 and sent["stop"] == ["\n"]
    assert sent["messages"][0] == {"role": "system", "content": PIRATE[0].content}


def test_openai_client_cancel_closes_the_stream(chat_server: tuple[FakeChatServer, str]) -> None:
    fake, url = chat_server
    fake.endless = True
    chat = OpenAICompatibleChat(url, "secret-key", "tiny-test-model")
    cancel = threading.Event()
    received = []
    for piece in chat.stream_chat(PIRATE, GenerationOptions(), cancel):
        received.append(piece)
        if len(received) == 3:
            cancel.set()
    assert len(received) == 3
    assert fake.disconnected.wait(timeout=5), "the server kept streaming after the client cancelled"
    assert fake.chunks_sent < 50


def test_openai_client_reports_a_rejected_key(chat_server: tuple[FakeChatServer, str]) -> None:
    import openai

    _, url = chat_server
    chat = OpenAICompatibleChat(url, "wrong-key", "tiny-test-model")
    with pytest.raises(openai.AuthenticationError):
        list(chat.stream_chat(PIRATE, GenerationOptions(), threading.Event()))


def test_openai_client_rejects_a_url_without_scheme() -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        OpenAICompatibleChat("127.0.0.1:8080/v1", None, "model")
