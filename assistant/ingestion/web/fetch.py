"""Polite HTTP for `index build URL`: robots.txt, a pace per host, a size cap, conditional requests.

Every failure is a `FetchError` whose message is the reason, ready to be shown beside the URL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from assistant import __version__

if TYPE_CHECKING:
    from assistant.settings import Settings

USER_AGENT = f"assistant/{__version__} (news question answering over articles; reads robots.txt)"
ROBOTS_AGENT = "assistant"  # the name robots.txt rules are matched against
MAX_REDIRECTS = 5
ROBOTS_MB = 0.5


class FetchError(Exception):
    """A URL that could not be fetched; the message says why."""


@dataclass(frozen=True)
class Validators:
    """What a server said identifies a version of a resource, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        sent = {"If-None-Match": self.etag} if self.etag else {}
        return sent | ({"If-Modified-Since": self.last_modified} if self.last_modified else {})


@dataclass(frozen=True)
class Fetched:
    """A response: `body` is None when the server said the version we have is current (304)."""

    url: str  # after redirects
    body: bytes | None
    content_type: str = ""
    validators: Validators = Validators()


@dataclass
class FetchStats:
    requests: int = 0
    fetched: int = 0  # 200 responses
    not_modified: int = 0  # 304 responses
    failed: int = 0
    bytes: int = 0  # bodies received


@dataclass
class _Host:
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0
    robots: RobotFileParser | None = None
    robots_error: str | None = None
    crawl_delay: float = 0.0  # the site's own Crawl-delay


class Fetcher:
    """Fetches URLs with one `httpx.Client`: at most `connections` at once, `delay` seconds apart per host."""

    def __init__(self, timeout: float, max_mb: float, delay: float, connections: int) -> None:  # `of(settings)`
        self.timeout, self.limit, self.delay, self.connections = timeout, int(max_mb * 1_000_000), delay, connections
        self.client = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=timeout,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            limits=httpx.Limits(max_connections=connections),
        )
        self.stats = FetchStats()
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(connections)  # the pace counts from when a request can go

    @classmethod
    def of(cls, settings: Settings) -> Fetcher:
        return cls(settings.fetch_timeout, settings.max_article_mb, settings.fetch_delay, settings.fetch_connections)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, validators: Validators | None = None) -> Fetched:
        """GET `url` (conditionally, given validators) if robots.txt allows it; FetchError otherwise."""
        host = self._host(url)
        if not self._allowed(host, url):
            self._count("failed")
            raise FetchError(host.robots_error or "disallowed by the site's robots.txt")
        try:
            fetched = self._get(host, url, (validators or Validators()).headers(), self.limit)
        except FetchError:
            self._count("failed")
            raise
        self._count("not_modified" if fetched.body is None else "fetched")
        return fetched

    def _count(self, name: str, amount: int = 1) -> None:
        with self._lock:  # requests run on several threads
            setattr(self.stats, name, getattr(self.stats, name) + amount)

    def _host(self, url: str) -> _Host:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("not an http(s) URL")
        with self._lock:
            return self._hosts.setdefault(f"{parts.scheme}://{parts.netloc}", _Host())

    def _allowed(self, host: _Host, url: str) -> bool:
        with host.lock:
            if host.robots is None and host.robots_error is None:
                self._read_robots(host, url)
        if host.robots_error:
            return False
        assert host.robots is not None
        return host.robots.can_fetch(ROBOTS_AGENT, url)

    def _read_robots(self, host: _Host, url: str) -> None:
        """robots.txt as RFC 9309 says: missing (4xx) allows everything; unreachable (5xx, network) nothing."""
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        parser = RobotFileParser(robots_url)
        try:
            fetched = self._paced(host, lambda: self._request(robots_url, {}, int(ROBOTS_MB * 1_000_000)))
            parser.parse((fetched.body or b"").decode("utf-8", "replace").splitlines())
        except _HTTPStatus as status:
            if status.code >= 500:  # the site may be down or shielding itself: ask nothing of it
                host.robots_error = f"robots.txt answered {status}: nothing fetched from the site"
                return
            parser.parse([])  # no rules: everything allowed
        except FetchError as error:  # unreachable: the pages would fail the same way
            host.robots_error = str(error)
            return
        host.robots = parser
        host.crawl_delay = float(parser.crawl_delay(ROBOTS_AGENT) or 0.0)

    def _get(self, host: _Host, url: str, headers: dict[str, str], limit: int) -> Fetched:
        try:
            return self._paced(host, lambda: self._request(url, headers, limit))
        except _HTTPStatus as status:
            raise FetchError(str(status)) from None

    def _paced(self, host: _Host, request: Callable[[], Fetched]) -> Fetched:
        """Run `request` no sooner than `delay` (or the site's Crawl-delay) after the host's last one.

        Its turn is taken once a connection is free, so requests queued behind busy connections
        still leave the site one at a time, `delay` apart, instead of together when one frees."""
        with self._slots:
            with self._lock:
                now = time.monotonic()
                wait = host.next_at - now
                host.next_at = max(host.next_at, now) + max(self.delay, host.crawl_delay)
            if wait > 0:
                time.sleep(wait)
            return request()

    def _request(self, url: str, headers: dict[str, str], limit: int) -> Fetched:
        self._count("requests")
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return Fetched(str(response.url), None, validators=_validators(response))
                if response.status_code >= 400:
                    raise _HTTPStatus(response.status_code, response.reason_phrase)
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise FetchError(f"{int(declared) / 1e6:.1f} MB is over the {limit / 1e6:g} MB limit")
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > limit:
                        raise FetchError(f"body over the {limit / 1e6:g} MB limit")
                self._count("bytes", len(body))
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                return Fetched(str(response.url), bytes(body), content_type, _validators(response))
        except httpx.TooManyRedirects:
            raise FetchError(f"more than {MAX_REDIRECTS} redirects (a redirect loop?)") from None
        except httpx.TimeoutException:
            raise FetchError(f"timed out (no answer within {self.timeout:g} s)") from None
        except httpx.ConnectError as error:
            reason = str(error) or type(error).__name__
            if "SSL" in reason or "CERTIFICATE" in reason.upper() or "TLS" in reason:
                raise FetchError(f"TLS error: {reason}") from None
            raise FetchError(f"cannot connect: {reason}") from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as error:
            raise FetchError(f"connection broken: {error}") from None
        except httpx.HTTPError as error:
            raise FetchError(f"{type(error).__name__}: {error}") from None


class _HTTPStatus(Exception):
    def __init__(self, code: int, phrase: str) -> None:
        super().__init__(f"HTTP {code} {phrase}".strip())
        self.code = code


def _validators(response: httpx.Response) -> Validators:
    return Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
