"""What a fetched URL holds: a feed's entries, a sitemap's pages, or one article page."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urldefrag, urljoin, urlsplit

from assistant.ingestion.files import decode, html_article
from assistant.ingestion.web.fetch import Fetched
from assistant.records import Article
from assistant.text import parse_date

Kind = Literal["feed", "sitemap", "page"]
HTML_TYPES = {"text/html", "application/xhtml+xml"}


class ParseError(Exception):
    """A body that is not what it claims to be; the message says why."""


@dataclass(frozen=True)
class Link:
    """A page a feed or sitemap lists, with what it says of it."""

    url: str
    fingerprint: str  # changes when the listing says the page changed (its date, title, summary)
    title: str = ""
    published_at: str | None = None  # ISO 8601


def canonical_url(url: str) -> str:
    """One spelling per page: host lower-cased, default port, tracking parameters and fragment dropped."""
    from courlan import normalize_url

    try:
        return urldefrag(normalize_url(url))[0]
    except ValueError:
        return urldefrag(url)[0]


def kind_of(fetched: Fetched) -> Kind:
    head = _body(fetched)[:4096].lstrip().lower()
    if b"<urlset" in head or b"<sitemapindex" in head:
        return "sitemap"
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return "feed"
    if fetched.content_type in HTML_TYPES or head.startswith((b"<!doctype html", b"<html")):
        return "page"
    if "xml" in fetched.content_type or head.startswith(b"<?xml"):
        return "feed"  # let the feed parser say what is wrong with it
    raise ParseError(f"not an HTML page, feed or sitemap (content type {fetched.content_type or 'unknown'})")


def feed_links(fetched: Fetched) -> tuple[str, list[Link]]:
    """The feed's title and its entries' pages (RSS 0.9x-2.0, RSS 1.0, Atom), in feed order."""
    import feedparser

    parsed = feedparser.parse(_body(fetched), response_headers={"content-location": fetched.url})
    links = []
    for entry in parsed.entries:
        if not (link := entry.get("link")):
            continue
        updated = dict.get(entry, "updated", "")  # not entry.get: feedparser maps a missing one to `published`
        published = entry.get("published", "")
        fingerprint = _digest(link, updated or published, entry.get("title", ""), entry.get("summary", ""))
        published = parse_date(published or updated) if published or updated else None
        links.append(Link(urljoin(fetched.url, link), fingerprint, entry.get("title", ""), published))
    if parsed.bozo and not links:  # a feed with a slip but entries is read, as feed readers do
        raise ParseError(f"malformed feed: {parsed.get('bozo_exception') or 'no entries'}")
    return str(parsed.feed.get("title") or ""), links


def sitemap_links(fetched: Fetched) -> tuple[list[Link], list[str]]:
    """A sitemap's pages (with their lastmod) and the child sitemaps of a sitemap index."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    try:
        root = etree.fromstring(_body(fetched), parser=parser)
    except etree.XMLSyntaxError as error:
        raise ParseError(f"malformed sitemap XML: {error}") from None
    pages, children = [], []
    for element in root:
        name = etree.QName(element).localname if isinstance(element.tag, str) else ""
        fields = {
            etree.QName(child).localname: (child.text or "").strip() for child in element if isinstance(child.tag, str)
        }
        if not fields.get("loc"):
            continue
        url = urljoin(fetched.url, fields["loc"])
        if name == "sitemap":
            children.append(url)
        elif name == "url":
            lastmod = fields.get("lastmod", "")
            pages.append(Link(url, _digest(url, lastmod), published_at=parse_date(lastmod) if lastmod else None))
    return pages, children


def page_article(fetched: Fetched, listed: Link | None = None, outlet: str = "") -> Article:
    """The article of a page: its doc_id and url the page's canonical URL; what the page lacks, from its listing."""
    if fetched.content_type and fetched.content_type not in HTML_TYPES:
        raise ParseError(f"not an HTML page (content type {fetched.content_type})")
    text = _text(fetched)
    if text is None:
        raise ParseError("binary content, not an HTML page")
    article = html_article(text, fetched.url)
    if not article.text.strip():
        raise ParseError("no article text found in the page")
    url = canonical_url(urljoin(fetched.url, article.url) if article.url else fetched.url)
    return article.model_copy(
        update={
            "doc_id": url,
            "url": url,
            "path": fetched.url,
            "title": article.title or (listed.title if listed else ""),
            "published_at": article.published_at or (listed.published_at if listed else None),
            "source": article.source or outlet or (urlsplit(url).hostname or "").removeprefix("www."),
        }
    )


def _text(fetched: Fetched) -> str | None:
    return decode(_body(fetched))


def _body(fetched: Fetched) -> bytes:
    """The body, gunzipped if it is a gzip file (a sitemap.xml.gz), within 10x the compressed size."""
    body = fetched.body or b""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, max(len(body) * 10, 1 << 20))
    except (zlib.error, gzip.BadGzipFile) as error:
        raise ParseError(f"broken gzip body: {error}") from None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]
