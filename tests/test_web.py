"""Indexing from the web: pages, RSS feeds and sitemaps served by a real HTTP server on 127.0.0.1.

The real local embedder and a real Chroma store in a temp dir; the end-to-end case asks the real
local LLM. No outside network.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import SAMPLES, CountingEmbedder, assert_whole
from web_server import Route, WebServer, article_html, http_date, rss, sitemap

from assistant.errors import InputError
from assistant.ingestion.indexer import build_index
from assistant.settings import Settings
from assistant.store import IndexDir

BIN = Path(sys.executable).parent

# MultiHop-RAG-shaped articles written for these tests: outlet, date, a few paragraphs of facts
STORIES = [
    (
        "harbour-fees",
        "Port of Valdaro doubles harbour fees for cruise ships",
        "The Port of Valdaro will double its harbour fees for cruise ships from March, the port authority "
        "said on Tuesday.\n\nPort director Elena Marsh said the extra revenue, about 14 million euros a year, "
        "would pay for a new breakwater.\n\nCruise operators called the increase abrupt.",
    ),
    (
        "chip-plant",
        "Norrland Semiconductors opens its first chip plant",
        "Norrland Semiconductors opened its first chip plant in Lulea on Monday, with 400 employees.\n\n"
        "Chief executive Ivar Holm said the plant would make power chips for electric buses.\n\n"
        "The company expects the plant to reach full output in two years.",
    ),
    (
        "rail-strike",
        "Rail workers in Castellane call off strike",
        "Rail workers in Castellane called off a planned strike after the operator agreed to a 6 percent pay rise.\n\n"
        "Union leader Marco Fenn said members would vote on the deal next week.\n\n"
        "Commuters had braced for a week of cancelled trains.",
    ),
]


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer().start()
    yield server
    server.stop()


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", fetch_delay=0, fetch_timeout=2)


def publish(web: WebServer, site: str = "The Valdaro Courier") -> list[dict[str, str]]:
    """The test stories and the two example articles as pages; their feed items."""
    items = []
    texts = [(p.stem, *p.read_text().split("\n", 1)) for p in sorted(SAMPLES.glob("*.txt"))]
    for n, (slug, title, body) in enumerate([*STORIES, *texts]):
        date = f"2024-05-{n + 10:02d}T09:00:00+00:00"
        url = web.page(f"/news/{slug}", article_html(title.strip("# "), body, site, date))
        items.append({"title": title.strip("# "), "link": url, "date": http_date(1715331600 + n * 86400)})
    return items


def serve_feed(web: WebServer, items: list[dict[str, str]], path: str = "/feed.xml") -> str:
    body = rss("The Valdaro Courier", items).encode()
    web.routes[path] = Route(body, "application/rss+xml", etag=f'"{abs(hash(body)):x}"')
    return web.url + path


def indexed_feed(web: WebServer, settings: Settings, embedder: CountingEmbedder) -> tuple[str, list[dict[str, str]]]:
    """The test pages and their feed, indexed once; then the server's log and the embedder's count cleared."""
    items = publish(web)
    feed = serve_feed(web, items)
    build_index([feed], settings, embedder=embedder)
    web.requests.clear()
    embedder.texts.clear()
    return feed, items


def test_a_feed_is_indexed_page_by_page_with_canonical_urls_as_ids(
    web: WebServer, web_settings: Settings, embedder: CountingEmbedder
) -> None:
    feed = serve_feed(web, publish(web))
    report = build_index([feed], web_settings, embedder=embedder)
    assert (report.added, report.problems) == (5, [])
    index = IndexDir(web_settings.index_dir).open()
    assert_whole(index)
    slugs = [story[0] for story in STORIES] + [path.stem for path in SAMPLES.glob("*.txt")]
    assert sorted(index.articles) == sorted(f"{web.url}/news/{slug}" for slug in slugs)
    article = index.article(f"{web.url}/news/harbour-fees")
    assert article is not None
    assert article.title == STORIES[0][1] and article.source == "The Valdaro Courier"
    assert article.published_at and article.published_at.startswith("2024-05-10")
    assert "Elena Marsh" in article.text and "All rights reserved" not in article.text and "Home" not in article.text
    assert all("assistant/" in r.headers.get("User-Agent", "") for r in web.requests)
    assert report.web is not None and report.web.fetched == 6 and report.web.failed == 0  # the feed + 5 pages


def test_a_second_build_asks_whether_anything_changed_and_embeds_nothing(
    web: WebServer, web_settings: Settings, embedder: CountingEmbedder
) -> None:
    indexed_feed(web, web_settings, embedder)
    generation = IndexDir(web_settings.index_dir).open().name

    report = build_index(None, web_settings, embedder=embedder)  # the remembered URLs
    assert [r.path for r in web.requests] == ["/robots.txt", "/feed.xml"]  # the feed answered 304: nothing else
    assert web.requests[1].headers["If-None-Match"] == web.routes["/feed.xml"].etag
    assert (report.unchanged, report.chunks_embedded, embedder.texts) == (5, 0, [])
    assert report.web is not None and (report.web.not_modified, report.web.fetched) == (1, 0)
    assert IndexDir(web_settings.index_dir).open().name == generation  # nothing written


def test_a_changed_page_is_fetched_again_and_only_it_is_embedded(
    web: WebServer, web_settings: Settings, embedder: CountingEmbedder
) -> None:
    _, items = indexed_feed(web, web_settings, embedder)

    slug, title, body = STORIES[1]
    web.page(
        f"/news/{slug}", article_html(title, body + "\n\nThe plant will double its staff by 2026.", "X", "2024-05-11")
    )
    items[1] = items[1] | {"date": http_date(1716000000)}  # the feed says the entry was updated
    serve_feed(web, items)
    report = build_index(None, web_settings, embedder=embedder)
    assert (report.updated, report.unchanged, report.added) == (1, 4, 0)
    assert all("double its staff" in t or "Norrland" in t or "plant" in t for t in embedder.texts)
    assert sorted(r.path for r in web.requests if r.path.startswith("/news/")) == ["/news/chip-plant"]
    assert report.web is not None and report.web.listed_unchanged == 4  # their entries had not changed
    assert "double its staff" in IndexDir(web_settings.index_dir).open().article(f"{web.url}/news/chip-plant").text


def test_etag_and_last_modified_make_unchanged_pages_cost_a_304(
    web: WebServer, web_settings: Settings, embedder: CountingEmbedder
) -> None:
    stamp = http_date(1715331600)
    page = web.page(
        "/news/harbour-fees", article_html(*STORIES[0][1:], "Courier", "2024-05-10"), etag=None, last_modified=stamp
    )
    other = web.page("/news/chip-plant", article_html(*STORIES[1][1:], "Courier", "2024-05-11"))
    build_index([page, other], web_settings, embedder=embedder)
    web.requests.clear()
    embedder.texts.clear()
    report = build_index(None, web_settings, embedder=embedder)
    conditional = {r.path: r.headers for r in web.requests if r.path.startswith("/news/")}
    assert conditional["/news/harbour-fees"]["If-Modified-Since"] == stamp
    assert conditional["/news/chip-plant"]["If-None-Match"] == web.routes["/news/chip-plant"].etag
    assert report.web is not None and report.web.not_modified == 2 and embedder.texts == []


def test_every_broken_url_is_reported_with_its_reason_and_the_rest_is_indexed(
    web: WebServer, web_settings: Settings, embedder: CountingEmbedder
) -> None:
    items = publish(web)[:2]
    port = web.url.rsplit(":", 1)[1]
    broken = {
        "/gone": Route(b"", status=410),
        "/error": Route(b"oops", status=503),
        "/slow": Route(article_html("Slow", "Too late.", "S", "2024-05-01").encode(), delay=4),
        "/report.pdf": Route(b"%PDF-1.7 binary", "application/pdf"),
        "/empty": Route(
            b"<!doctype html><html><head><title>App</title></head><body><script>boot()</script></body></html>"
        ),
        "/huge": Route(article_html("Huge", "word " * 400_000, "S", "2024-05-01").encode()),
        "/huge-unannounced": Route(b"<html><body>" + b"<p>word</p>" * 200_000 + b"</body></html>", length=False),
        "/loop": Route(b"", status=302, headers={"Location": "/loop2"}),
        "/loop2": Route(b"", status=302, headers={"Location": "/loop"}),
    }
    web.routes.update(broken)
    links = [*(web.url + path for path in broken if path != "/loop2"), web.url + "/missing"]
    links.append(f"https://127.0.0.1:{port}/news/tls")  # TLS to a plain-HTTP server
    feed = serve_feed(web, items + [{"title": link, "link": link, "date": http_date(0)} for link in links])
    web.routes["/bad.xml"] = Route(b"<?xml version='1.0'?><rss><channel><item><title>Cut", "application/rss+xml")

    settings = web_settings.model_copy(update={"max_article_mb": 1.0})
    web.routes["/bad-sitemap.xml"] = Route(b"<?xml version='1.0'?><urlset><url><loc>/a</loc>", "application/xml")
    report = build_index([feed], settings, embedder=embedder)
    reasons = {
        p.path.replace(web.url, "").replace(f"https://127.0.0.1:{port}", "https:"): p.reason for p in report.problems
    }
    assert reasons.keys() == {
        "/gone",
        "/error",
        "/slow",
        "/report.pdf",
        "/empty",
        "/huge",
        "/huge-unannounced",
        "/loop",
        "/missing",
        "https:/news/tls",
    }
    assert reasons["/gone"] == "HTTP 410 Gone" and reasons["/missing"] == "HTTP 404 Not Found"
    assert reasons["/error"] == "HTTP 503 Service Unavailable"
    assert reasons["/slow"].startswith("timed out")
    assert "not an HTML page" in reasons["/report.pdf"] and "application/pdf" in reasons["/report.pdf"]
    assert reasons["/empty"] == "no article text found in the page"
    assert reasons["/huge"] == "2.0 MB is over the 1 MB limit"
    assert reasons["/huge-unannounced"] == "body over the 1 MB limit"  # no Content-Length: counted as it comes
    assert "redirects" in reasons["/loop"]
    assert reasons["https:/news/tls"].startswith("TLS error")
    assert report.added == 2  # the good pages

    # a source given that fails is an error, and nothing changes: not even the good source given with it
    generation = IndexDir(settings.index_dir).open().name
    for bad, reason in (("/bad.xml", "malformed feed"), ("/bad-sitemap.xml", "malformed sitemap XML")):
        with pytest.raises(InputError, match=f"cannot add {web.url}{bad}: {reason}.*nothing was changed"):
            build_index([web.url + "/news/chip-plant", web.url + bad], settings, embedder=embedder)
    index = IndexDir(settings.index_dir).open()
    assert index.name == generation and len(index.articles) == 2
    assert list(index.manifest().sources) == [feed]


def test_strict_turns_a_broken_url_into_exit_1_and_the_summary_is_json(web: WebServer, tmp_path: Path) -> None:
    items = publish(web)[:1]
    feed = serve_feed(web, items + [{"title": "x", "link": web.url + "/missing", "date": http_date(0)}])
    env = os.environ | {"ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "ASSISTANT_FETCH_DELAY": "0"}
    done = subprocess.run(
        [BIN / "assistant", "index", "build", feed, "--json", "--strict"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert f"skipped {web.url}/missing: HTTP 404 Not Found" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    summary = json.loads(done.stdout)
    assert summary["added"] == 1 and summary["web"]["failed"] == 1 and summary["web"]["fetched"] == 2


def test_requests_to_one_site_are_paced_and_a_few_run_at_once(web: WebServer) -> None:
    from assistant.ingestion.web import Fetcher

    for n in range(6):
        web.routes[f"/p{n}"] = Route(b"<html><body><p>x</p></body></html>", delay=0.3)
    settings = Settings(fetch_delay=0.1, fetch_connections=3)
    with Fetcher.of(settings) as fetcher, ThreadPoolExecutor(6) as pool:
        list(pool.map(fetcher.get, [f"{web.url}/p{n}" for n in range(6)]))
    arrivals = sorted(r.at for r in web.requests if r.path.startswith("/p"))
    # 0.1 s apart as they leave; arrivals carry a few ms of thread wake-up and send jitter (unpaced: ~0)
    assert min(b - a for a, b in zip(arrivals, arrivals[1:], strict=False)) >= 0.06
    assert arrivals[5] - arrivals[0] >= 0.48
    # 3 connections: the 4th request waits for an answer (0.3 s) although its turn came 0.1 s later
    assert arrivals[3] - arrivals[0] >= 0.29


def test_robots_txt_is_respected(web: WebServer, web_settings: Settings, embedder: CountingEmbedder) -> None:
    items = publish(web)[:2]
    web.routes["/robots.txt"] = Route(b"User-agent: assistant\nDisallow: /news/chip-plant\n", "text/plain")
    feed = serve_feed(web, items)
    report = build_index([feed], web_settings, embedder=embedder)
    assert [(p.path, p.reason) for p in report.problems] == [
        (f"{web.url}/news/chip-plant", "disallowed by the site's robots.txt")
    ]
    assert web.requested("/news/chip-plant") == [] and report.added == 1


def test_an_entry_that_leaves_the_feed_stays_until_pruned(
    web: WebServer, web_settings: Settings, embedder: CountingEmbedder
) -> None:
    _, items = indexed_feed(web, web_settings, embedder)
    serve_feed(web, items[1:])  # the oldest story rotated out
    report = build_index(None, web_settings, embedder=embedder)
    assert report.removed == 0 and f"{web.url}/news/harbour-fees" in IndexDir(web_settings.index_dir).open().articles
    report = build_index(None, web_settings, embedder=embedder, prune=True)
    assert (
        report.removed == 1 and f"{web.url}/news/harbour-fees" not in IndexDir(web_settings.index_dir).open().articles
    )


def test_one_article_reached_through_several_urls_is_one_article(
    web: WebServer, web_settings: Settings, embedder: CountingEmbedder
) -> None:
    slug, title, body = STORIES[2]
    canonical = f"{web.url}/news/{slug}"
    web.page(f"/news/{slug}", article_html(title, body, "Courier", "2024-05-12", canonical=canonical))
    web.routes[f"/amp/{slug}"] = web.routes[f"/news/{slug}"]
    feed = serve_feed(
        web, [{"title": title, "link": f"{web.url}/amp/{slug}?utm_source=rss&utm_medium=feed", "date": http_date(0)}]
    )
    report = build_index([feed, canonical, f"{canonical}?utm_campaign=x#top"], web_settings, embedder=embedder)
    index = IndexDir(web_settings.index_dir).open()
    assert list(index.articles) == [canonical] and report.problems == []
    assert report.web is not None and report.web.duplicates == 2


def test_a_sitemap_and_its_index_with_since(web: WebServer, web_settings: Settings, embedder: CountingEmbedder) -> None:
    items = publish(web)
    urls = [(item["link"], f"2024-05-{10 + n:02d}") for n, item in enumerate(items)]
    web.routes["/sitemap-news.xml.gz"] = Route(gzip.compress(sitemap(urls).encode()), "application/gzip")
    index_xml = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{web.url}/sitemap-news.xml.gz</loc></sitemap></sitemapindex>"
    )
    web.routes["/sitemap.xml"] = Route(index_xml.encode(), "application/xml", etag='"s1"')
    report = build_index([web.url + "/sitemap.xml"], web_settings, embedder=embedder, since="2024-05-12")
    assert report.added == 3 and report.problems == []
    assert sorted(IndexDir(web_settings.index_dir).open().articles) == sorted(
        link for link, day in urls if day >= "2024-05-12"
    )


def test_the_network_failing_mid_build_leaves_the_index_as_it_was(
    web: WebServer, web_settings: Settings, embedder: CountingEmbedder
) -> None:
    feed, _ = indexed_feed(web, web_settings, embedder)
    before = IndexDir(web_settings.index_dir).open()
    web.stop()  # the site goes away
    report = build_index(None, web_settings, embedder=embedder)
    assert [(p.path, p.reason.split(":")[0]) for p in report.problems] == [(feed, "cannot connect")]
    after = IndexDir(web_settings.index_dir).open()
    assert after.name == before.name and sorted(after.articles) == sorted(before.articles)


def test_the_network_failing_in_the_middle_of_a_refresh_keeps_what_was_not_read(
    web: WebServer, web_settings: Settings, embedder: CountingEmbedder
) -> None:
    _, items = indexed_feed(web, web_settings, embedder)
    before = IndexDir(web_settings.index_dir).open()
    for n, (slug, title, body) in enumerate(STORIES):  # every story corrected, every entry re-dated
        web.page(f"/news/{slug}", article_html(title, body + "\n\nThis article was corrected.", "C", "2024-05-20"))
        items[n] = items[n] | {"date": http_date(1716500000 + n)}
    serve_feed(web, items)
    web.fail_after = 3  # robots.txt, the feed, one story (pages are read a few at once); then the site is gone
    report = build_index(None, web_settings, embedder=embedder)
    assert report.updated == 1 and len(report.problems) == 2, report.problems
    assert all(p.reason.startswith(("cannot connect", "connection broken")) for p in report.problems)
    after = IndexDir(web_settings.index_dir).open()
    assert_whole(after)
    assert sorted(after.articles) == sorted(before.articles)  # nothing lost
    corrected = [doc_id for doc_id in after.articles if "corrected" in after.article(doc_id).text]
    assert len(corrected) == 1 and corrected[0] in {f"{web.url}/news/{slug}" for slug, _, _ in STORIES}


@pytest.mark.llm
def test_ask_a_question_only_one_feed_article_answers_cited_with_its_url(
    web: WebServer, tmp_path: Path, local_llm
) -> None:
    feed = serve_feed(web, publish(web))
    env = os.environ | {"ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "ASSISTANT_FETCH_DELAY": "0"}
    built = subprocess.run(
        [BIN / "assistant", "index", "build", feed], capture_output=True, text=True, env=env, timeout=300
    )
    assert built.returncode == 0, built.stderr
    from assistant.answering.qa import Assistant

    answer = Assistant(Settings(index_dir=tmp_path / "index"), chat_model=local_llm).ask(
        "Who is the port director of Valdaro?"
    )
    assert "Marsh" in answer.answer
    cited = {c.url for c in answer.citations}
    assert cited == {f"{web.url}/news/harbour-fees"}
