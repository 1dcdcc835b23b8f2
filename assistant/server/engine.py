"""One `Assistant` shared by every client of the server: one answer at a time, a bounded queue.

llama.cpp generates one answer at a time on all cores, so questions wait their
turn; past `queue_size` waiting, a question is turned away at once (`Busy`)
instead of hanging. An answer streams from a worker thread into the request's
event loop; a client that goes away stops its generation at the next piece.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answering.followup import Turn
from assistant.answering.qa import Assistant
from assistant.answering.retrieval import Filters
from assistant.errors import AssistantError
from assistant.records import Answer, Article, Passage, Statement
from assistant.server.memory import give_back

log = logging.getLogger("assistant.server")
MAX_QUESTION = 2000  # characters of a question or query, on every edge (the API, chat completions, MCP)


class Busy(AssistantError):
    """Every place in the queue is taken."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the server is busy: try again in {retry_after} s")
        self.retry_after = retry_after


class Stopped(Exception):
    """The client went away: stop generating."""


@dataclass(frozen=True)
class QueuedQuestion:
    """A question and the options it is asked with."""

    text: str
    top_k: int | None = None
    filters: Filters = field(default_factory=Filters)
    history: Sequence[Turn] = ()


class Engine:
    """The server's one `Assistant`, and the queue in front of its model."""

    def __init__(self, assistant: Assistant, queue_size: int = 8) -> None:
        self.assistant = assistant
        self.queue_size = queue_size
        self._turn = threading.Lock()  # held by the one answer being generated
        self._mutex = threading.Lock()
        self._admitted = 0  # answering and waiting
        self._answer_seconds = 15.0  # the last answer's time: what a turned-away client is told to wait

    @property
    def waiting(self) -> int:
        return max(self._admitted - 1, 0)

    def _admit(self) -> None:
        with self._mutex:
            if self._admitted > self.queue_size:
                raise Busy(max(1, round(self._answer_seconds * self.waiting)))
            self._admitted += 1

    def _leave(self) -> None:
        with self._mutex:
            self._admitted -= 1

    def ask(
        self, question: QueuedQuestion, on_text: Any = None, admitted: bool = False, stop: threading.Event | None = None
    ) -> Answer:
        """Answer in this thread once it is this question's turn; `Busy` if the queue is full."""
        if not admitted:
            self._admit()
        queued = time.perf_counter()
        try:
            with self._turn:
                wait = time.perf_counter() - queued
                if stop is not None and stop.is_set():  # the client left while it waited
                    raise Stopped
                self.assistant.refresh()  # a build may have published a new generation meanwhile
                started = time.perf_counter()
                answer = self.assistant.ask(
                    question.text, question.top_k, question.filters, on_text=on_text, history=question.history
                )
                self._answer_seconds = time.perf_counter() - started
        finally:
            self._leave()
            give_back()  # the answer's buffers, freed in this thread's arena
        return answer.model_copy(update={"timings": {**answer.timings, "queue_s": round(wait, 3)}})

    def start(self, question: QueuedQuestion) -> AnswerEvents:
        """Admit `question` (`Busy` if the queue is full) and answer it in a worker thread, streaming events."""
        self._admit()
        return AnswerEvents(self, question, asyncio.get_running_loop())


class QueuedArchive:
    """`Assistant`'s calls over the engine: an ask waits its turn in the queue (`Busy` when it is full);
    a search or an article reads the index's latest generation."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ask(self, question: str, top_k: int | None = None, filters: Filters | None = None) -> Answer:
        return self.engine.ask(QueuedQuestion(question, top_k, filters or Filters()))

    def retrieve(self, query: str, top_k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        self.engine.assistant.refresh()
        return self.engine.assistant.retrieve(query, top_k, filters)

    def article(self, doc_id: str) -> Article | None:
        self.engine.assistant.refresh()
        return self.engine.assistant.article(doc_id)

    def statements(
        self, speaker: str | None = None, about: str | None = None, filters: Filters | None = None, limit: int = 50
    ) -> list[Statement]:
        self.engine.assistant.refresh()
        return self.engine.assistant.statements(speaker, about, filters, limit)


class AnswerEvents:
    """An answer being generated in a worker thread, as events for the event loop that started it.

    ("text", delta) as the answer is written, then ("done", Answer) or ("error", message).
    """

    def __init__(self, engine: Engine, question: QueuedQuestion, loop: asyncio.AbstractEventLoop) -> None:
        self._events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._loop = loop
        self._stop = threading.Event()
        self._engine, self._question = engine, question
        threading.Thread(target=self._work, name="answer", daemon=True).start()

    def _put(self, kind: str, value: Any) -> None:
        self._loop.call_soon_threadsafe(self._events.put_nowait, (kind, value))

    def _on_text(self, text: str) -> None:
        if self._stop.is_set():
            raise Stopped
        self._put("text", text)

    def _work(self) -> None:
        try:
            self._put("done", self._engine.ask(self._question, self._on_text, admitted=True, stop=self._stop))
        except Stopped:
            log.info("the client went away: its answer was stopped")
        except AssistantError as error:
            self._put("error", str(error))
        except Exception as error:  # one line to the client; the traceback to the server's log
            log.exception("internal error")
            self._put("error", f"internal error: {type(error).__name__}: {error}")

    async def events(self) -> AsyncIterator[tuple[str, Any]]:
        """The events until the last; leaving early (the client went away) stops the generation."""
        try:
            while True:
                kind, value = await self._events.get()
                yield kind, value
                if kind != "text":
                    return
        finally:
            self._stop.set()
