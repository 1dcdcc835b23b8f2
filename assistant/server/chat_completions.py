"""OpenAI's chat API over the archive: `POST /v1/chat/completions` and `GET /v1/models`, for chat front-ends.

The last user message is the question and the earlier turns its history (follow-ups as in `chat`).
The reply's text carries the answer's [n] markers and a "Sources" list with the quoted sentences; a
`citations` field beside `choices` holds them structured, with `confidence` and `refused`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from assistant.answering.followup import Turn
from assistant.errors import InputError
from assistant.records import Answer
from assistant.server.engine import MAX_QUESTION, Engine, QueuedQuestion

MODEL = "assistant"
SOURCES = "\n\nSources\n"  # where a reply's list of sources begins: cut from the history it comes back in


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, ...: accepted and ignored

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content if part.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """OpenAI's request; sampling options (temperature, max_tokens, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(MODEL, description="Ignored: there is one model, `assistant`.")
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = Field(False, strict=True)

    def as_question(self) -> QueuedQuestion:
        """The last message is the question; each earlier user message with the reply after it, a turn."""
        *before, last = [m for m in self.messages if m.role in ("user", "assistant")] or [self.messages[-1]]
        question = " ".join(last.text().split())
        if last.role != "user" or not question:
            raise InputError("the last message must be the user's question, with text")
        if len(question) > MAX_QUESTION:
            raise InputError(f"the question is over {MAX_QUESTION} characters")
        turns = []
        for message, after in zip(before, [*before, last][1:], strict=True):
            if message.role == "user":
                reply = after.text().split(SOURCES)[0] if after.role == "assistant" else ""
                turns.append(Turn(question=message.text(), answer=reply))
        return QueuedQuestion(question, history=turns[-20:])


def chat_router(engine: Engine) -> APIRouter:
    router = APIRouter()

    @router.post("/chat/completions", responses={200: {"content": {"text/event-stream": {}}}})
    async def chat_completions(body: ChatRequest) -> Any:
        """OpenAI's chat completion: the answer with [n] markers and its sources; with `stream`, as chunks."""
        question = body.as_question()
        reply = _Reply()
        if not body.stream:
            answer = await run_in_threadpool(engine.ask, question)
            return reply.whole(answer)
        stream = engine.start(question)  # a full queue is a 503 here, before any chunk
        return StreamingResponse(reply.chunks(stream.events()), media_type="text/event-stream")

    @router.get("/models")
    async def models() -> dict[str, Any]:
        """The one model: `assistant`."""
        return {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "assistant"}]}

    return router


class _Reply:
    """One completion's id and time, in each shape it is sent."""

    def __init__(self) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())

    def whole(self, answer: Answer) -> dict[str, Any]:
        message = {"role": "assistant", "content": answer.answer + sources_text(answer)}
        choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
        return self._head("chat.completion") | {"choices": [choice]} | _extras(answer)

    async def chunks(self, events: AsyncIterator[tuple[str, Any]]) -> AsyncIterator[str]:
        yield self._chunk({"role": "assistant", "content": ""})
        async for kind, value in events:
            if kind == "text":
                yield self._chunk({"content": value})
            elif kind == "done":
                if sources := sources_text(value):
                    yield self._chunk({"content": sources})
                yield self._chunk({}, finish="stop", extras=_extras(value))
            else:
                yield _data({"error": {"message": value, "type": "server_error"}})
        yield "data: [DONE]\n\n"

    def _head(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": MODEL}

    def _chunk(self, delta: dict[str, Any], finish: str | None = None, extras: dict[str, Any] | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return _data(self._head("chat.completion.chunk") | {"choices": [choice]} | (extras or {}))


def sources_text(answer: Answer) -> str:
    """What follows the answer in a chat reply: its confidence note and the sources its markers cite."""
    text = f"\n\n{note}" if (note := answer.confidence_note()) else ""
    if answer.citations:
        text += SOURCES.rstrip("\n")
    for citation in answer.citations:
        details = " · ".join(p for p in (citation.source, (citation.published_at or "")[:10], citation.url) if p)
        text += f"\n[{citation.n}] {citation.title or citation.doc_id}" + (f" ({details})" if details else "")
        for quote in [q.text for q in citation.quotes] or [citation.quote]:
            text += f"\n    “{quote}”"
        if not citation.verified:
            text += "\n    (this quote does not hold the claim citing it)"
    return text


def _extras(answer: Answer) -> dict[str, Any]:
    """The fields beside `choices`: the citations, structured, and how far to trust the answer."""
    return {
        "citations": [citation.model_dump(mode="json") for citation in answer.citations],
        "confidence": answer.confidence,
        "refused": answer.refused,
    }


def _data(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\n\n"
