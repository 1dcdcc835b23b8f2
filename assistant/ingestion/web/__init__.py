"""Articles from the web: pages, RSS/Atom feeds and sitemaps, fetched politely and kept fresh."""

from assistant.ingestion.web.fetch import Fetcher
from assistant.ingestion.web.sources import Kept, WebReport, WebSource

__all__ = ["Fetcher", "Kept", "WebReport", "WebSource"]
