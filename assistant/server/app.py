"""`assistant serve`: the HTTP API (under /v1) and the reading-room page (at /), over one `Assistant`."""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.answering.followup import Turn
from assistant.answering.qa import Assistant
from assistant.answering.retrieval import Filters
from assistant.errors import (
    AssistantError,
    BackendError,
    IndexMismatchError,
    IndexMissingError,
    InputError,
    ModelError,
    problems,
)
from assistant.mcp.tools import build_server
from assistant.records import Answer, Article, Passage, Statement
from assistant.server.chat_completions import chat_router
from assistant.server.engine import MAX_QUESTION, Busy, Engine, QueuedArchive, QueuedQuestion
from assistant.server.guard import Guard
from assistant.server.memory import share_arenas
from assistant.settings import Settings
from assistant.store import index_status
from assistant.worker import ModelCrashed

STATIC = files("assistant.server") / "static"
log = logging.getLogger("assistant.server")


class _Retrieval(BaseModel):
    """The retrieval options of `ask` and `search`."""

    model_config = ConfigDict(extra="forbid")

    top_k: int | None = Field(None, ge=1, le=50, strict=True, description="Passages to retrieve.")
    sources: list[str] = Field(default_factory=list, description="Only articles from these outlets.")
    since: str | None = Field(None, description="Only articles published on or after this date (YYYY-MM-DD).")
    until: str | None = Field(None, description="Only articles published on or before this date.")

    def filters(self) -> Filters:
        return Filters.parse(self.sources, self.since, self.until)


class SearchRequest(_Retrieval):
    query: str = Field(min_length=1, max_length=MAX_QUESTION)


class AskRequest(_Retrieval):
    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    history: list[Turn] = Field(default_factory=list, max_length=20, description="The conversation so far.")
    stream: bool = Field(False, strict=True, description="Server-Sent Events: `text` deltas, `citations`, then `done`.")

    def as_question(self) -> QueuedQuestion:
        return QueuedQuestion(self.question, self.top_k, self.filters(), self.history)


class Problem(BaseModel):
    """An error: `detail` as FastAPI gives it (a message, or a list of validation problems), `error` as
    OpenAI's clients read it (`message`, `type`, `code`)."""

    detail: str | list[dict[str, Any]]
    error: dict[str, Any]


_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not JSON."},
    401: {"model": Problem, "description": "No valid bearer token (when ASSISTANT_SERVER_TOKEN is set)."},
    413: {"model": Problem, "description": "The body is over 1 MB."},
    422: {"model": Problem, "description": "The request is malformed, or names a date that is not one."},
    502: {"model": Problem, "description": "The model's server failed."},
    503: {"model": Problem, "description": "Busy (see Retry-After), or no index yet."},
}
_STATUS = {
    Busy: 503,
    InputError: 422,
    IndexMissingError: 503,
    IndexMismatchError: 503,
    ModelCrashed: 503,  # its worker is restarting: ask again
    ModelError: 503,
    BackendError: 502,
}


def create_app(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    """The app over `settings`' index; models and index are loaded at start-up."""
    share_arenas()  # before the server's threads start
    engine = Engine(assistant or Assistant(settings, model_in_worker=True), settings.server_queue)
    archive = QueuedArchive(engine)
    agents = build_server(archive)  # MCP at /mcp: one stateless exchange per request
    # without a token, only loopback Host and Origin headers reach it (DNS rebinding); the token guards it
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False) if settings.server_token else None
    agents_app = agents.streamable_http_app(stateless_http=True, transport_security=security)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await run_in_threadpool(engine.assistant.prepare)
        except (ModelError, BackendError) as error:  # search and the page work without the model; asks say why
            log.error("the model is not available: %s", error)
        try:
            async with agents.session_manager.run():
                yield
        finally:
            await run_in_threadpool(engine.assistant.close)

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
        retry_after = getattr(error, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return _error(status, str(error), headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return _error(error.status_code, error.detail, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return _error(422, jsonable_encoder(error.errors()))

    api = APIRouter(prefix="/v1", dependencies=[Depends(_authorised(settings))], responses=_PROBLEMS)

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
        return await run_in_threadpool(archive.retrieve, body.query, body.top_k, body.filters())

    @api.get("/quotes", response_model=list[Statement])
    async def quotes(
        speaker: Annotated[str | None, Query(max_length=200, description="A person, organisation or country.")] = None,
        about: Annotated[str | None, Query(max_length=MAX_QUESTION, description="Words the sentence uses.")] = None,
        source: Annotated[list[str] | None, Query(description="Only articles from these outlets.")] = None,
        since: Annotated[str | None, Query(description="Only articles published on or after this date.")] = None,
        until: Annotated[str | None, Query(description="Only articles published on or before this date.")] = None,
        limit: Annotated[int, Query(ge=1, le=500, description="Statements at most.")] = 50,
    ) -> list[Statement]:
        """Who said what: the statements of the indexed articles, newest first, each with its speaker (as
        written, the person, organisation and country), its sentence and their offsets in the article."""
        filters = Filters.parse(source, since, until)
        return await run_in_threadpool(archive.statements, speaker, about, filters, limit)

    @api.get("/articles/{doc_id:path}", response_model=Article, responses={404: {"model": Problem}})
    async def article(doc_id: str) -> Article:
        """An article's cleaned text and metadata: citations' `char_start`/`char_end` point into `text`."""
        found = await run_in_threadpool(archive.article, doc_id)
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
            "model": engine.assistant.model_health(),
        }

    api.include_router(chat_router(engine))
    app.include_router(api)

    app.router.routes.append(Route("/mcp", _TokenRequired(agents_app, settings), methods=["GET", "POST", "DELETE"]))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, Any]:
        """Up; and where the model runs in a worker process, its state, answers, recycles and memory."""
        model = await run_in_threadpool(engine.assistant.model_health)
        return {"ok": True} | ({"model": model} if model is not None else {})

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"))

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


def _error(status: int, detail: Any, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """An error as FastAPI gives it (`detail`) and as OpenAI's clients read it (`error.message`)."""
    error = {"message": problems(detail), "type": "invalid_request_error" if status < 500 else "server_error"}
    return JSONResponse({"detail": detail, "error": error | {"code": status}}, status, headers)


_UNAUTHORISED = "a valid bearer token is required"


def _has_token(settings: Settings, authorization: str | None) -> bool:
    """With ASSISTANT_SERVER_TOKEN set, whether `authorization` carries it as a bearer token."""
    if settings.server_token is None:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    token = settings.server_token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token)


def _authorised(settings: Settings) -> Any:
    """Every API request must carry the token, if one is set."""

    def check(authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> None:
        if not _has_token(settings, authorization):
            raise HTTPException(401, _UNAUTHORISED, headers={"WWW-Authenticate": "Bearer"})

    return check


class _TokenRequired:
    """An ASGI app (MCP's, outside FastAPI's routing) behind the same token as the API."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _has_token(self.settings, Headers(scope=scope).get("authorization")):
            await _error(401, _UNAUTHORISED, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        await self.app(scope, receive, send)


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
