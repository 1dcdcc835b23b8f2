"""Articles from URLs: a page, every entry of an RSS/Atom feed, every page of a sitemap.

What each URL answered last time is kept in the index (`Manifest.web`): its validators
(ETag, Last-Modified) for a conditional request, the articles it gave, and for a feed
or sitemap the pages it listed with a fingerprint of each listing. So a refresh costs
one small request per unchanged feed or page, and a listed page whose listing did not
change is not requested at all. A page that drops out of a feed stays indexed (it was
published) unless `prune`; a URL that fails keeps what it gave before.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from assistant.ingestion.files import Problem
from assistant.ingestion.web.fetch import Fetched, Fetcher, FetchError, FetchStats, Validators
from assistant.ingestion.web.parse import Link, ParseError, feed_links, kind_of, page_article, sitemap_links
from assistant.records import Article, Progress
from assistant.text import to_timestamp

MAX_SITEMAP_DEPTH = 2  # a sitemap index of sitemap indexes, no deeper


@dataclass(frozen=True)
class Kept:
    """Indexed articles that stay as they are without being read again (unchanged, or their URL failed)."""

    doc_ids: list[str]
    again: bool = False  # an article this build already gave through another URL: the source gives it too


@dataclass
class WebReport(FetchStats):
    listed_unchanged: int = 0  # pages not requested: their feed or sitemap entry had not changed
    duplicates: int = 0  # the same article reached through a second URL


@dataclass
class WebSource:
    """Reads URLs with `fetcher`; `known` is the state the last build left, `states` the one this build leaves."""

    fetcher: Fetcher
    known: dict[str, dict[str, Any]]
    prune: bool = False
    since: str | None = None  # sitemaps: only pages whose lastmod is this date or later
    progress: Progress = lambda event, count: None  # noqa: E731
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: WebReport = field(default_factory=WebReport)
    _given: set[str] = field(default_factory=set)  # articles this build gave
    _kept: set[str] = field(default_factory=set)

    def articles(self, urls: Iterable[str]) -> Iterator[Article | Problem | Kept]:
        for url in urls:
            yield from self._source(url, depth=0)
        self.report = replace(self.report, **asdict(self.fetcher.stats))

    def _source(self, url: str, depth: int) -> Iterator[Article | Problem | Kept]:
        state = self.known.get(url, {})
        try:
            fetched = self.fetcher.get(url, _validators(state))
            if fetched.body is None:
                self.progress("cached", 1)
                yield from self._keep(url, state)
                return
            kind = kind_of(fetched)
            if kind == "page":
                yield from self._page(url, fetched, state)
                return
            if kind == "feed":
                outlet, links = feed_links(fetched)
                children: list[str] = []
            else:
                outlet, (links, children) = "", sitemap_links(fetched)
        except (FetchError, ParseError) as error:
            yield from self._failed(url, error, state)
            return
        self.progress("fetched", 1)
        since = self.since or state.get("since")
        if since and kind == "sitemap":  # pages without a lastmod are read: nothing says they are old
            start = to_timestamp(since) or 0.0
            links = [link for link in links if (to_timestamp(link.published_at) or start) >= start]
        listed = {link.url: link.fingerprint for link in links}
        new_state: dict[str, Any] = {"kind": kind, **_validator_fields(fetched.validators)}
        new_state |= {"listed": listed, "children": children}
        if since and kind == "sitemap":
            new_state["since"] = since
        if depth < MAX_SITEMAP_DEPTH:
            for child in children:
                yield from self._source(child, depth + 1)
        yield from self._listed(links, state.get("listed", {}), outlet)
        if not self.prune:  # pages the listing no longer names stay: they were published
            before = state.get("listed", {}) | state.get("former", {})
            new_state["former"] = {page: f for page, f in before.items() if page not in listed and page in self.known}
            for page in new_state["former"]:
                yield from self._keep(page, self.known[page])
        self.states[url] = new_state

    def _listed(self, links: list[Link], before: dict[str, str], outlet: str) -> Iterator[Article | Problem | Kept]:
        """The pages a feed or sitemap lists, fetched a few at a time (those whose listing is unchanged: not)."""
        for link, fetched in self._fetch_all(links, before):
            state = self.known.get(link.url, {})
            if fetched is None:
                self.report.listed_unchanged += 1
                self.progress("cached", 1)
                yield from self._keep(link.url, state)
            elif isinstance(fetched, FetchError):
                yield from self._failed(link.url, fetched, state)
            elif fetched.body is None:
                self.progress("cached", 1)
                yield from self._keep(link.url, state)
            else:
                yield from self._page(link.url, fetched, state, link, outlet)

    def _fetch_all(
        self, links: list[Link], before: dict[str, str]
    ) -> Iterator[tuple[Link, Fetched | FetchError | None]]:
        """Each link with its response (None: not requested), in order; a bounded number in flight."""

        def fetch(link: Link) -> Fetched | FetchError | None:
            state = self.known.get(link.url)
            if state and state.get("doc_ids") and before.get(link.url) == link.fingerprint:
                return None
            try:
                return self.fetcher.get(link.url, _validators(state or {}))
            except FetchError as error:
                return error

        connections = self.fetcher.connections
        with ThreadPoolExecutor(max_workers=connections, thread_name_prefix="fetch") as pool:
            pending: deque[tuple[Link, Future[Fetched | FetchError | None]]] = deque()
            for link in links:
                pending.append((link, pool.submit(fetch, link)))
                if len(pending) >= 2 * connections:
                    first, future = pending.popleft()
                    yield first, future.result()
            while pending:
                first, future = pending.popleft()
                yield first, future.result()

    def _page(
        self, url: str, fetched: Fetched, state: dict[str, Any], listed: Link | None = None, outlet: str = ""
    ) -> Iterator[Article | Problem | Kept]:
        try:
            article = page_article(fetched, listed, outlet)
        except ParseError as error:
            yield from self._failed(url, error, state)
            return
        self.progress("fetched", 1)
        self.states[url] = {"kind": "page", **_validator_fields(fetched.validators), "doc_ids": [article.doc_id]}
        if article.doc_id in self._given:
            self.report.duplicates += 1
            yield Kept([article.doc_id], again=True)
            return
        self._given.add(article.doc_id)
        yield article

    def _failed(self, url: str, error: Exception, state: dict[str, Any]) -> Iterator[Problem | Kept]:
        """A URL that failed: its reason, and what it gave last time stays."""
        self.progress("failed", 1)
        yield Problem(url, str(error))
        yield from self._keep(url, state)

    def _keep(self, url: str, state: dict[str, Any]) -> Iterator[Kept]:
        """What `url` gave last time stays, state and articles (a feed's or sitemap's: its pages')."""
        if not state or url in self.states:
            return
        self.states[url] = {key: value for key, value in state.items() if not (self.prune and key == "former")}
        if doc_ids := [d for d in state.get("doc_ids", []) if d not in self._given and d not in self._kept]:
            self._kept.update(doc_ids)
            yield Kept(doc_ids)
        for child in state.get("children", []):
            yield from self._keep(child, self.known.get(child, {}))
        for page in [*state.get("listed", {}), *([] if self.prune else state.get("former", {}))]:
            yield from self._keep(page, self.known.get(page, {}))


def _validators(state: dict[str, Any]) -> Validators:
    return Validators(state.get("etag"), state.get("last_modified"))


def _validator_fields(validators: Validators) -> dict[str, str]:
    return {k: v for k, v in (("etag", validators.etag), ("last_modified", validators.last_modified)) if v}
