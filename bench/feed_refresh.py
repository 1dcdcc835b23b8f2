"""Refreshing an index built from a 50-entry RSS feed, served by a real HTTP server on 127.0.0.1.

    python bench/feed_refresh.py [--entries 50]

The first MultiHop-RAG articles as news pages (navigation, article, footer; ETags) and an RSS
feed of them. `assistant index build FEED` as whole processes, default settings (0.5 s between
requests to one site): the first build; a refresh after one article changed (its feed entry
says so); a refresh with nothing changed. For each: requests the server saw, bytes it sent,
chunks embedded, seconds. Prints JSON, headline last, then the terminal output of the first build.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from measure import BIN, DATA, emit, run

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from web_server import WebServer, article_html, http_date, rss  # noqa: E402

from assistant.ingestion.web.fetch import USER_AGENT  # noqa: E402


def publish(web: WebServer, records: list[dict[str, Any]], changed: int | None = None) -> str:
    """Serve the records as pages and an RSS feed of them (entry `changed` dated later); the feed's URL."""
    items = []
    for n, record in enumerate(records):
        html = article_html(record["title"], record["body"], record["source"], record["published_at"])
        link = web.page(f"/news/{record['id']}", html)
        date = http_date(1700000000 + (10**8 if n == changed else n * 3600))
        items.append({"title": record["title"], "link": link, "date": date})
    return web.page("/feed.xml", rss("Wire", items), content_type="application/rss+xml")


def served(web: WebServer, start: int) -> dict[str, int]:
    """Requests since `start` and the body bytes answered to them (304s: none)."""
    requests = web.requests[start:]
    sent = 0
    for request in requests:
        route = web.routes.get(request.path.split("?")[0])
        fresh = route is not None and route.etag and request.headers.get("If-None-Match") == route.etag
        sent += len(route.body) if route is not None and not fresh else 0
    conditional = sum("If-None-Match" in r.headers for r in requests)
    return {"requests": len(requests), "bytes_sent": sent, "conditional": conditional}


def build(web: WebServer, env: dict[str, str], *args: str) -> dict[str, Any]:
    start = len(web.requests)
    result = run([BIN / "assistant", "index", "build", *args, "--json"], env)
    report = json.loads(result["stdout"])
    return {
        "seconds": round(result["seconds"], 2),
        **served(web, start),
        "chunks_embedded": report["chunks_embedded"],
        "added": report["added"],
        "updated": report["updated"],
        "unchanged": report["unchanged"],
        "web": report["web"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=50)
    args = parser.parse_args()
    records = [json.loads(line) for line in (DATA / "all_corpus.jsonl").read_text().splitlines()[: args.entries]]
    web = WebServer().start()
    try:
        feed = publish(web, records)
        with tempfile.TemporaryDirectory() as folder:
            env = {"ASSISTANT_INDEX_DIR": str(Path(folder) / "index")}
            first = build(web, env, feed)
            records[7]["body"] += "\n\nCorrection: an earlier version of this article misstated the date."
            publish(web, records, changed=7)
            one_changed = build(web, env)
            unchanged = build(web, env)
            shown = run([BIN / "assistant", "index", "build", feed], {"ASSISTANT_INDEX_DIR": str(Path(folder) / "i2")})
    finally:
        web.stop()
    runs = {"first": first, "one_changed": one_changed, "unchanged": unchanged}
    headline = {
        name: {key: figures[key] for key in ("seconds", "requests", "bytes_sent", "chunks_embedded")}
        for name, figures in runs.items()
    }
    emit("feed_refresh", {"entries": args.entries, "user_agent": USER_AGENT, **runs}, headline)
    print(f"$ assistant index build {feed}\n{shown['stderr']}{shown['stdout']}", file=sys.stderr)


if __name__ == "__main__":
    main()
