"""Bring the index in line with a set of paths, embedding only what changed."""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.chunking import chunk_article
from assistant.cleaning import to_timestamp
from assistant.embeddings import Embedder, make_embedder
from assistant.errors import IndexMismatchError, InputError
from assistant.ingest import FileDone, Problem, load_articles, unexpected
from assistant.models import Article, Chunk
from assistant.settings import Settings
from assistant.store import MAX_SEGMENTS, Index, IndexDir, Manifest, index_status
from assistant.store.segment import SegmentWriter
from assistant.web import Fetcher, Kept, WebReport, WebSource, is_url

__all__ = ["BuildReport", "build_index", "index_status"]

EMBED_BATCH_CHUNKS = 256  # chunks embedded and stored per step: bounds memory on big corpora
RACY_NS = 2_000_000_000  # a file modified less than this before it was read is read again next build

Progress = Callable[[str, int], None]  # (event, count): "article", "embedded"; for URLs "fetched", "cached", "failed"


@dataclass
class BuildReport:
    articles: int = 0
    chunks: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    segments_merged: int = 0
    problems: list[Problem] = field(default_factory=list)
    web: WebReport | None = None  # when URLs were read
    seconds: float = 0.0
    index_dir: str = ""


def article_hash(article: Article, manifest: Manifest) -> str:
    """Changes whenever the article or anything that shapes its chunks changes."""
    payload = [
        article.model_dump(exclude={"path"}),
        manifest.embedding_model,
        manifest.chunk_size,
        manifest.chunk_overlap,
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "doc_id": article.doc_id,
        "title": article.title,
        "source": article.source,
        "source_lc": article.source.lower(),
        "url": article.url,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
    }
    if article.published_at:
        metadata["published_at"] = article.published_at
    if (timestamp := to_timestamp(article.published_at)) is not None:
        metadata["published_ts"] = timestamp
    return metadata


def build_index(
    paths: Iterable[Path | str] | None,
    settings: Settings,
    *,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    prune: bool = False,
    since: str | None = None,
) -> BuildReport:
    """Index the articles under `paths`, files, folders or URLs (default: the remembered ones).

    Unchanged articles are kept as they are (files unchanged since the last build are
    not even read, URLs are asked whether they changed), new and changed ones are
    chunked and embedded into a new segment, and articles no longer found under the
    paths are removed (a feed's or sitemap's former pages only with `prune`; `since`:
    only a sitemap's pages modified since that date). `rebuild` starts from nothing.
    Either way the new generation is switched to only when complete.
    """
    started = time.perf_counter()
    embedder = embedder or make_embedder(settings)
    root = IndexDir.of(settings)
    with root.lock(settings.lock_timeout):
        root.tidy()
        current = root.current()
        previous = _previous(current) if current is not None and not rebuild else None
        remembered = previous.manifest().paths if previous else (current.remembered_paths() if current else [])
        path_list = [str(p) if is_url(str(p)) else str(Path(p).resolve()) for p in paths] if paths else remembered
        if not path_list:
            raise InputError("no paths to index: run `assistant index build PATH...`")
        if previous is None:
            manifest = Manifest(embedder.model_id, settings.chunk_size, settings.chunk_overlap, store=root.store.name)
        else:
            manifest = _next_manifest(previous, settings, embedder)
        builder = _Builder(root, previous, manifest, embedder, progress)
        with Fetcher.of(settings) as fetcher:
            web = WebSource(fetcher, builder.known_web, prune, since, builder.progress)
            report = builder.run(path_list, settings.max_article_mb, web)
        unchanged = manifest.files == builder.known_files and manifest.web == builder.known_web
        if builder.changed or previous is None or manifest.paths != path_list or not unchanged:
            manifest.paths = path_list
            builder.finish()
            published = root.publish(manifest)
            report.articles, report.chunks = len(published.articles), int(published.alive.sum())
        else:
            report.articles, report.chunks = len(previous.articles), int(previous.alive.sum())
    report.seconds = round(time.perf_counter() - started, 3)
    report.index_dir = str(settings.index_dir)
    return report


def _previous(current: Index) -> Index | None:
    """The generation a build starts from; None (start afresh) if it is of an older format or tokenizer."""
    try:
        current.segments  # noqa: B018 (reads the manifest and checks every segment)
    except IndexMismatchError as error:
        if "ASSISTANT_CHROMA_URL" in str(error):  # kept elsewhere: not for a build to decide
            raise
        return None
    return current


def _next_manifest(previous: Index, settings: Settings, embedder: Embedder) -> Manifest:
    old = previous.manifest()
    previous.check_embedding_model(old, embedder.model_id)  # its store was checked by `_previous`
    manifest = replace(old, segments=[{**entry, "deleted": list(entry["deleted"])} for entry in old.segments])
    if (old.chunk_size, old.chunk_overlap) != (settings.chunk_size, settings.chunk_overlap):
        manifest.chunk_size, manifest.chunk_overlap = settings.chunk_size, settings.chunk_overlap
        manifest.files = {}  # every file must be read again: its articles' chunks change
    return manifest


class _Builder:
    """Writes what changed into one new segment and marks what it replaces as deleted."""

    def __init__(
        self, root: IndexDir, base: Index | None, manifest: Manifest, embedder: Embedder, progress: Progress | None
    ) -> None:
        self.root, self.manifest, self.embedder = root, manifest, embedder
        self.progress = progress or (lambda event, count: None)
        self.report = BuildReport()
        self.live: dict[str, tuple[dict[str, Any], int]] = dict(base.articles) if base is not None else {}
        self.known_files, manifest.files = manifest.files, {}
        self.known_web, manifest.web = manifest.web, {}
        self.pending: list[tuple[Article, str, list[Chunk]]] = []
        self.changed = False
        self.writer: SegmentWriter | None = None
        self.file_clean = True  # no article of the file being read was skipped

    def _unchanged(self, path: str, stat: Any) -> bool:
        known = self.known_files.get(path)
        return known is not None and (known["size"], known["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns)

    def run(self, paths: list[str], max_mb: float, web: WebSource) -> BuildReport:
        seen: set[str] = set()
        kept: set[str] = set()  # articles of URLs that are unchanged or failed: indexed as they are
        held: list[str] = []  # the articles of the file being read
        files = load_articles([Path(p) for p in paths if not is_url(p)], max_mb, self._unchanged)
        urls = [p for p in paths if is_url(p)]
        items: Iterator[Any] = itertools.chain(files, web.articles(urls))
        for item in items:
            if isinstance(item, Kept):
                kept.update(item.doc_ids)
                self.report.unchanged += len(item.doc_ids)
                continue
            if isinstance(item, FileDone):
                if item.skipped:
                    held = [d for d in self.known_files[item.path]["doc_ids"] if d not in seen]
                    seen.update(held)
                    self.report.unchanged += len(held)
                    self.progress("article", len(held))
                # read again next time: a file with a problem, and one changed so lately that a change
                # within the same clock tick would leave its size and time as they are (git's "racy" files)
                if item.clean and self.file_clean and (item.skipped or time.time_ns() - item.mtime_ns > RACY_NS):
                    self.manifest.files[item.path] = {"size": item.size, "mtime_ns": item.mtime_ns, "doc_ids": held}
                held, self.file_clean = [], True
                continue
            if isinstance(item, Problem):
                self.report.problems.append(item)
                if item.doc_id:  # it broke unexpectedly: the version indexed before, if any, stays
                    seen.add(item.doc_id)
                continue
            self.progress("article", 1)
            if item.doc_id in seen:
                self.report.problems.append(Problem(item.path, f"duplicate article id {item.doc_id!r}: skipped"))
                self.file_clean = False
                continue
            seen.add(item.doc_id)
            held.append(item.doc_id)
            self._consider(item)
        self._flush()
        self.manifest.web = web.states
        if urls:
            self.report.web = web.report
        gone = [doc_id for doc_id in self.live if doc_id not in seen and doc_id not in kept]
        for doc_id in gone:
            self._delete(doc_id)
        self.report.removed = len(gone)
        return self.report

    def _consider(self, article: Article) -> None:
        digest = article_hash(article, self.manifest)
        entry = self.live.get(article.doc_id)
        if entry is not None and entry[0]["hash"] == digest:
            self.report.unchanged += 1
            return
        try:
            article_chunks = chunk_article(article, self.manifest.chunk_size, self.manifest.chunk_overlap)
        except Exception as error:  # one article that cannot be chunked must not stop the build
            self.report.problems.append(Problem(article.path, unexpected(error)))
            self.file_clean = False
            return  # a previous version of it, if any, stays indexed
        if entry is None:
            self.report.added += 1
        else:
            self.report.updated += 1
        self.pending.append((article, digest, article_chunks))
        if sum(len(chunks) for _, _, chunks in self.pending) >= EMBED_BATCH_CHUNKS:
            self._flush()

    def _delete(self, doc_id: str) -> None:
        """Mark the indexed version of an article deleted in the segment that holds it."""
        _, position = self.live.pop(doc_id)
        self.manifest.segments[position]["deleted"].append(doc_id)
        self.changed = True

    def _flush(self) -> None:
        if not self.pending:
            return
        if self.writer is None:
            self.writer = self.root.new_segment(self.manifest.uid)
        chunks = [(article, chunk) for article, _, article_chunks in self.pending for chunk in article_chunks]
        vectors = self.embedder.embed([chunk.text for _, chunk in chunks])
        for article, digest, _ in self.pending:
            if article.doc_id in self.live:  # a changed article: its old version goes
                self._delete(article.doc_id)
            self.writer.add_article(
                {
                    "doc_id": article.doc_id,
                    "hash": digest,
                    "path": article.path,
                    "title": article.title,
                    "source": article.source,
                    "published_at": article.published_at,
                    "url": article.url,
                }
            )
        self.writer.add(
            [chunk.chunk_id for _, chunk in chunks],
            [chunk.text for _, chunk in chunks],
            [chunk_metadata(article, chunk) for article, chunk in chunks],
            vectors,
        )
        self.report.chunks_embedded += len(chunks)
        self.progress("embedded", len(chunks))
        self.changed = True
        self.pending = []

    def finish(self) -> None:
        """Finish the new segment, add it to the manifest, and merge segments if there are too many."""
        if self.writer is not None:
            segment = self.writer.finish()
            self.manifest.segments.append({"name": segment.name, "deleted": []})
        self.report.segments_merged = merge_segments(self.root, self.manifest, MAX_SEGMENTS)


def merge_segments(root: IndexDir, manifest: Manifest, most: int) -> int:
    """Merge the smallest segments into one until there are at most `most`; rewrite those more than half deleted.

    Returns how many segments were merged away. Costs the merged segments' size, read
    back from their collections (texts, metadata, vectors: nothing is embedded again).
    """
    segments = [root.segment(entry["name"]) for entry in manifest.segments]
    deleted = [set(entry["deleted"]) for entry in manifest.segments]
    live = [int(s.kept(d).sum()) for s, d in zip(segments, deleted, strict=True)]
    chosen = {i for i, s in enumerate(segments) if deleted[i] and len(deleted[i]) * 2 > len(s.articles)}
    by_size = sorted(range(len(segments)), key=lambda i: live[i])
    excess = len(segments) - most
    if excess > 0:
        chosen |= set(by_size[: excess + 1])
    if not chosen:
        return 0
    writer = root.new_segment(manifest.uid)
    for i in sorted(chosen):
        segment = segments[i]
        for entry in segment.articles:
            if entry["doc_id"] not in deleted[i]:
                writer.add_article(entry)
        rows = np.flatnonzero(segment.kept(deleted[i]))
        for batch in segment.chunks(rows):
            metadatas = [{k: v for k, v in m.items() if k != "row"} for m in batch["metadatas"]]
            writer.add(batch["ids"], batch["documents"], metadatas, batch["embeddings"])
    merged = writer.finish()
    manifest.segments = [entry for i, entry in enumerate(manifest.segments) if i not in chosen]
    manifest.segments.append({"name": merged.name, "deleted": []})
    return len(chosen)
