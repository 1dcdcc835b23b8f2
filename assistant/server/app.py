"""`assistant serve`: the HTTP API (under /v1) and the reading-room page (at /), over one `Assistant`."""

from __future__ import annotations

import dataclasses
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from assistant.answering.followup import Turn
from assistant.answering.qa import Assistant
from assistant.answering.retrieval import Filters
from assistant.errors import AssistantError, BackendError, IndexMismatchError, IndexMissingError, InputError
from assistant.records import Answer, Article, Passage
from assistant.server.engine import Busy, Engine, QueuedQuestion
from assistant.server.guard import Guard
from assistant.settings import Settings
from assistant.store import index_status

STATIC = files("assistant.server") / "static"


class _Retrieval(BaseModel):
    """The retrieval options of `ask` and `search`."""

    model_config = ConfigDict(extra="forbid")

    top_k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve.")
    sources: list[str] = Field(default_factory=list, description="Only articles from these outlets.")
    since: str | None = Field(None, description="Only articles published on or after this date (YYYY-MM-DD).")
    until: str | None = Field(None, description="Only articles published on or before this date.")

    def filters(self) -> Filters:
        return Filters.parse(self.sources, self.since, self.until)


class SearchRequest(_Retrieval):
    query: str = Field(min_length=1, max_length=2000)


class AskRequest(_Retrieval):
    question: str = Field(min_length=1, max_length=2000)
    history: list[Turn] = Field(default_factory=list, max_length=20, description="The conversation so far.")
    stream: bool = Field(False, description="Server-Sent Events: `text` deltas, `citations`, then `done`.")

    def as_question(self) -> QueuedQuestion:
        return QueuedQuestion(self.question, self.top_k, self.filters(), self.history)


_STATUS = {Busy: 503, InputError: 422, IndexMissingError: 503, IndexMismatchError: 503, BackendError: 502}


def create_app(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    """The app over `settings`' index; models and index are loaded at start-up."""
    engine = Engine(assistant or Assistant(settings), settings.server_queue)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(engine.assistant.prepare)
        yield

    app = FastAPI(
        title="assistant",
        summary="Cited answers over news articles.",
        version="1",
        lifespan=lifespan,
        docs_url="/docs",
    )
    app.state.engine = engine
    app.add_middleware(Guard)

    @app.exception_handler(AssistantError)
    async def known_error(request: Request, error: AssistantError) -> JSONResponse:
        status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 500)
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Busy) else None
        return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)

    api = APIRouter(prefix="/v1", dependencies=[Depends(_authorised(settings))])

    @api.post("/ask", response_model=Answer, responses={200: {"content": {"text/event-stream": {}}}})
    async def ask(body: AskRequest) -> Any:
        """Answer a question with cited sentences; with `stream`, as Server-Sent Events."""
        question = body.as_question()
        if not body.stream:
            return await run_in_threadpool(engine.ask, question)
        stream = engine.start(question)  # a full queue is a 503 here, before any event
        return StreamingResponse(_sse(stream.events()), media_type="text/event-stream")

    @api.post("/search", response_model=list[Passage])
    async def search(body: SearchRequest) -> list[Passage]:
        """The passages most relevant to a query, best first: retrieval only, no model."""
        engine.assistant.refresh()
        return await run_in_threadpool(engine.assistant.retrieve, body.query, body.top_k, body.filters())

    @api.get("/articles/{doc_id:path}", response_model=Article)
    async def article(doc_id: str) -> Article:
        """An article's cleaned text and metadata: citations' `char_start`/`char_end` point into `text`."""
        engine.assistant.refresh()
        found = await run_in_threadpool(engine.assistant.article, doc_id)
        if found is None:
            raise HTTPException(404, f"no article {doc_id!r} in the index")
        return found

    @api.get("/index")
    async def status() -> dict[str, Any]:
        """What the index holds and how it was built: its sources (folders, files, URLs) and its articles' outlets."""
        found = await run_in_threadpool(index_status, settings)
        engine.assistant.refresh()
        return dataclasses.asdict(found) | {
            "outlets": sorted(engine.assistant.index.sources),
            "waiting": engine.waiting,
        }

    app.include_router(api)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"))

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


def _authorised(settings: Settings) -> Any:
    """With ASSISTANT_SERVER_TOKEN set, every API request must carry it as a bearer token."""
    token = settings.server_token.get_secret_value().encode() if settings.server_token else None

    def check(authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> None:
        if token is None:
            return
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token):
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})

    return check


async def _sse(events: AsyncIterator[tuple[str, Any]]) -> AsyncIterator[str]:
    """The events of an answer as Server-Sent Events: text deltas, the citations, then the whole answer."""
    async for kind, value in events:
        if kind == "text":
            yield _event("text", {"delta": value})
        elif kind == "done":
            yield _event("citations", [c.model_dump(mode="json") for c in value.citations])
            yield _event("done", value.model_dump(mode="json"))
        else:
            yield _event("error", {"detail": value})


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"
