"""A real HTTP server on 127.0.0.1 for the web tests: routes set by the test, every request logged.

A route answers with its body, or 304 when the request's If-None-Match or If-Modified-Since
matches the route's ETag or Last-Modified, as a real web server does.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    length: bool = True  # send Content-Length (else the body ends when the connection closes)


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived


class WebServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.fail_after: int | None = None  # this many requests answered, the server goes away
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if server.fail_after is not None and len(server.requests) >= server.fail_after:
                    threading.Thread(target=server.stop).start()  # the network fails: this request is dropped
                    self.close_connection = True
                    return
                server.requests.append(Request(self.path, dict(self.headers), time.monotonic()))
                route = server.routes.get(self.path.split("?")[0])  # the query string does not pick the page
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                time.sleep(route.delay)
                fresh = (route.etag and self.headers.get("If-None-Match") == route.etag) or (
                    route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified
                )
                self.send_response(304 if fresh else route.status)
                for name, value in (("ETag", route.etag), ("Last-Modified", route.last_modified)):
                    if value:
                        self.send_header(name, value)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if fresh:
                    self.end_headers()
                    return
                self.send_header("Content-Type", route.content_type)
                if route.length:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that hangs up early (a size cap, a timeout) is what some tests do

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.stopped = threading.Event()

    def start(self) -> WebServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        if not self.stopped.is_set():
            self.stopped.set()
            self.httpd.shutdown()
            self.httpd.server_close()

    def page(self, path: str, html: str, **options: object) -> str:
        """Serve an HTML page at `path` (with an ETag unless told otherwise); returns its URL."""
        options.setdefault("etag", f'"{abs(hash(html)):x}"')
        self.routes[path] = Route(html.encode(), **options)  # type: ignore[arg-type]
        return self.url + path

    def requested(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


def http_date(seconds: float) -> str:
    return formatdate(seconds, usegmt=True)


def article_html(title: str, body: str, site: str, date: str, canonical: str = "") -> str:
    """A news page as sites write them: navigation, the article, a footer."""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in body.split("\n\n") if p.strip())
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | {site}</title>{link}
<meta property="og:site_name" content="{site}"><meta property="og:title" content="{title}">
<meta property="article:published_time" content="{date}"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a></nav>
<main><article><h1>{title}</h1><time datetime="{date}">{date}</time>
{paragraphs}
</article></main>
<footer>Copyright {site}. All rights reserved. <a href="/privacy">Privacy</a></footer></body></html>"""


def rss(title: str, items: list[dict[str, str]]) -> str:
    entries = "\n".join(
        f"<item><title>{i['title']}</title><link>{i['link']}</link><guid>{i['link']}</guid>"
        f"<pubDate>{i['date']}</pubDate><description>{i.get('summary', '')}</description></item>"
        for i in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{title}</title><link>http://example.invalid/</link>
<description>Latest news</description>
{entries}
</channel></rss>"""


def sitemap(urls: list[tuple[str, str]]) -> str:
    entries = "\n".join(f"<url><loc>{loc}</loc><lastmod>{lastmod}</lastmod></url>" for loc, lastmod in urls)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{entries}
</urlset>"""
