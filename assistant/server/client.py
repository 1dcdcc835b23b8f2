"""A thin client of a running `assistant serve`: the same calls as `Assistant`, no model loaded here."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from assistant.answering.followup import Turn
from assistant.answering.retrieval import Filters
from assistant.errors import AssistantError, BackendError, InputError, problems
from assistant.records import Answer, Article, Passage, Statement


class RemoteAssistant:
    """`ask`, `retrieve`, `article` and `statements` of the `Assistant` behind `url` (ASSISTANT_SERVER_URL)."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 600.0) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=httpx.Timeout(timeout, connect=10.0))

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        on_text: Callable[[str], None] | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        body = _options(filters) | {
            "question": question,
            "top_k": top_k,
            "history": [turn.model_dump() for turn in history],
            "stream": True,
        }
        for event, data in self._events("/v1/ask", body):
            if event == "text" and on_text:
                on_text(data["delta"])
            elif event == "done":
                return Answer.model_validate(data)
            elif event == "error":
                raise AssistantError(data["detail"])
        raise BackendError(f"the server at {self.url} closed the answer before its end")

    def retrieve(self, query: str, top_k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        found = self._call("POST", "/v1/search", json=_options(filters) | {"query": query, "top_k": top_k})
        return [Passage.model_validate(item) for item in found]

    def article(self, doc_id: str) -> Article | None:
        try:
            return Article.model_validate(self._call("GET", f"/v1/articles/{doc_id}"))
        except LookupError:
            return None

    def statements(
        self, speaker: str | None = None, about: str | None = None, filters: Filters | None = None, limit: int = 50
    ) -> list[Statement]:
        filters = filters or Filters()
        query = {"speaker": speaker, "about": about, "source": list(filters.sources), "limit": limit}
        query |= {"since": filters.since, "until": filters.until}
        found = self._call("GET", "/v1/quotes", params={k: v for k, v in query.items() if v not in (None, [])})
        return [Statement.model_validate(item) for item in found]

    def _call(self, method: str, path: str, **options: Any) -> Any:
        with _reaching(self.url):
            response = self._http.request(method, path, **options)
        _check(response, self.url)
        return response.json()

    def _events(self, path: str, body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        """The Server-Sent Events of a POST, as (event, data)."""
        with _reaching(self.url), self._http.stream("POST", path, json=body) as response:
            if response.status_code >= 400:
                response.read()
                _check(response, self.url)
            yield from server_sent_events(response.iter_lines())


def server_sent_events(lines: Iterable[str]) -> Iterator[tuple[str, Any]]:
    """(event, JSON data) of each Server-Sent Event in `lines`, as `assistant serve` writes them."""
    event = "message"
    for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            yield event, json.loads(line[5:])
            event = "message"


@contextmanager
def _reaching(url: str) -> Iterator[None]:
    """httpx's transport errors as one clear `BackendError`."""
    try:
        yield
    except httpx.TransportError as error:
        raise BackendError(f"cannot reach the assistant server at {url}: {error or type(error).__name__}") from None


def _options(filters: Filters | None) -> dict[str, Any]:
    filters = filters or Filters()
    return {"sources": list(filters.sources), "since": filters.since, "until": filters.until}


def _check(response: httpx.Response, url: str) -> None:
    if response.status_code < 400:
        return
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    detail = problems(detail)
    if response.status_code == 404:
        raise LookupError(detail)
    if response.status_code == 401:
        raise AssistantError(f"the server at {url} refused the token (ASSISTANT_SERVER_TOKEN): {detail}")
    if response.status_code == 422:
        raise InputError(detail)
    raise BackendError(f"the server at {url} answered {response.status_code}: {detail}")
