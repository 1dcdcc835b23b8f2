"""Keep the index in line with its sources (folders, files, URLs), embedding only what changed."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.backends.embeddings import Embedder, make_embedder
from assistant.errors import IndexMismatchError, InputError
from assistant.ingestion.chunking import chunk_article
from assistant.ingestion.files import FileDone, Problem, load_articles, unexpected
from assistant.ingestion.web import Fetcher, Kept, WebReport, WebSource
from assistant.records import Article, Chunk, Progress
from assistant.settings import Settings
from assistant.statements import stored_statements
from assistant.store import MAX_SEGMENTS, Index, IndexDir, Manifest, index_status
from assistant.store.segment import SegmentWriter
from assistant.store.sources import attribution, carried_files, carried_web, is_under, is_url, normalise

__all__ = ["BuildReport", "build_index", "index_status", "remove_sources"]

EMBED_BATCH_CHUNKS = 256  # chunks embedded and stored per step: bounds memory on big corpora
RACY_NS = 2_000_000_000  # a file modified less than this before it was read is read again next build


@dataclass
class MissingSource:
    """A remembered source that gave no article this time: its articles are kept."""

    source: str
    articles: int


@dataclass
class BuildReport:
    articles: int = 0
    chunks: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0  # with dry_run: the chunks that would be embedded
    segments_merged: int = 0
    problems: list[Problem] = field(default_factory=list)
    web: WebReport | None = None  # when URLs were read
    seconds: float = 0.0
    index_dir: str = ""
    dry_run: bool = False  # nothing was written: the counts say what would have been done
    sources_added: list[str] = field(default_factory=list)
    sources_removed: list[str] = field(default_factory=list)
    missing: list[MissingSource] = field(default_factory=list)


def article_hash(article: Article, manifest: Manifest) -> str:
    """Changes whenever the article or anything that shapes its chunks changes."""
    payload = [
        article.model_dump(exclude={"path"}),
        manifest.embedding_model,
        manifest.chunk_size,
        manifest.chunk_overlap,
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def build_index(
    paths: Iterable[Path | str] | None,
    settings: Settings,
    *,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    prune: bool = False,
    since: str | None = None,
    dry_run: bool = False,
) -> BuildReport:
    """Add `paths` (files, folders, URLs) to the index's sources and index what they hold that is
    new or changed; without `paths`, read every source again (`rebuild`: from nothing).

    Unchanged articles are kept as they are (files unchanged since the last build are
    not even read, URLs are asked whether they changed), new and changed ones are
    chunked and embedded into a new segment, and the articles a source read again no
    longer gives are removed (a feed's or sitemap's former pages only with `prune`;
    `since`: only a sitemap's pages modified since that date). Sources not read are not
    touched, nor is a remembered one that gives nothing (reported in `missing`). A
    given path that does not exist, or a given URL that fails, is an `InputError` and
    nothing changes. The new generation is switched to only when complete; `dry_run`
    reads and counts but writes nothing (URLs are still requested).
    """
    given = list(dict.fromkeys(normalise(p) for p in paths or []))
    for source in given:
        if not is_url(source) and not Path(source).exists():
            raise InputError(f"cannot add {source}: no such file or folder; nothing was changed")
    return _update(
        settings,
        add=given,
        remove=[],
        rebuild=rebuild,
        embedder=embedder,
        progress=progress,
        prune=prune,
        since=since,
        dry_run=dry_run,
    )


def remove_sources(sources: Iterable[Path | str], settings: Settings, *, dry_run: bool = False) -> BuildReport:
    """Remove `sources` from the index, and the articles no other source gives (nothing is read or embedded)."""
    removed = list(dict.fromkeys(normalise(s) for s in sources))
    if not removed:
        raise InputError("no sources to remove: name them as `assistant index sources` lists them")
    return _update(settings, remove=removed, dry_run=dry_run)


def _update(
    settings: Settings,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    prune: bool = False,
    since: str | None = None,
    dry_run: bool = False,
) -> BuildReport:
    started = time.perf_counter()
    root = IndexDir.of(settings)
    with root.lock(settings.lock_timeout):
        if not dry_run:
            root.tidy()
        current = root.current()
        previous = _previous(current) if current is not None and not rebuild else None
        sources = _remembered(current)
        if remove:
            if previous is None:
                root.open().segments  # noqa: B018 (raises why there is none: no index, or one to rebuild)
            if unknown := [s for s in remove if s not in sources]:
                listed = "`assistant index sources` lists them"
                raise InputError(f"not a source of the index: {unknown[0]} ({listed}); nothing was changed")
        afresh = previous is None and bool(sources)  # an index to start over: every source is read, or none
        to_read = [] if remove else list(dict.fromkeys([*sources, *add] if afresh or not add else add))
        if not to_read and not remove:
            raise InputError("no paths or URLs to index: run `assistant index add PATH|URL...`")
        if to_read:
            embedder = embedder or make_embedder(settings)
        if previous is None:
            model = embedder.model_id if embedder else ""
            manifest = Manifest(model, settings.chunk_size, settings.chunk_overlap, store=root.store.name)
        else:
            manifest = _next_manifest(previous, settings, embedder)
        manifest.sources = {s: dict(record) for s, record in sources.items()}
        before = (previous.manifest().sources, previous.manifest().files, previous.manifest().web) if previous else None
        refusal = "cannot rebuild from" if afresh else "cannot add"
        builder = _Builder(root, previous, manifest, embedder, progress, dry_run, refusal)
        strict = set(to_read if afresh else add)  # a failure of one of these stops the build
        with Fetcher.of(settings) as fetcher:
            web = WebSource(fetcher, builder.known_web, prune, since, builder.progress)
            report = builder.run(to_read, strict, settings.max_article_mb, web)
        builder.settle(to_read, remove)
        report.dry_run = dry_run
        if dry_run:  # the articles there would be; the chunks there are
            report.articles, report.chunks = (
                len(builder.live) + report.added,
                int(previous.alive.sum()) if previous else 0,
            )
        elif builder.changed or previous is None or (manifest.sources, manifest.files, manifest.web) != before:
            builder.finish()
            published = root.publish(manifest)
            report.articles, report.chunks = len(published.articles), int(published.alive.sum())
        else:
            assert previous is not None
            report.articles, report.chunks = len(previous.articles), int(previous.alive.sum())
        if not dry_run:
            missing = {m.source for m in report.missing}
            root.note_refreshed([s for s in to_read if s not in missing], remove)
    report.seconds = round(time.perf_counter() - started, 3)
    report.index_dir = str(settings.index_dir)
    return report


def _remembered(current: Index | None) -> dict[str, dict[str, Any]]:
    """The sources of the current generation (of an older format: just their names)."""
    if current is None:
        return {}
    try:
        return current.manifest().sources
    except IndexMismatchError:
        return {path: {} for path in current.remembered_paths()}


def _previous(current: Index) -> Index | None:
    """The generation a build starts from; None (start afresh) if it is of an older format or tokenizer."""
    try:
        current.segments  # noqa: B018 (reads the manifest and checks every segment)
    except IndexMismatchError as error:
        if "ASSISTANT_CHROMA_URL" in str(error):  # kept elsewhere: not for a build to decide
            raise
        return None
    return current


def _next_manifest(previous: Index, settings: Settings, embedder: Embedder | None) -> Manifest:
    old = previous.manifest()
    manifest = replace(old, segments=[{**entry, "deleted": list(entry["deleted"])} for entry in old.segments])
    if embedder is None:  # nothing is read: settings that shape chunks do not matter
        return manifest
    previous.check_embedding_model(old, embedder.model_id)  # its store was checked by `_previous`
    if (old.chunk_size, old.chunk_overlap) != (settings.chunk_size, settings.chunk_overlap):
        manifest.chunk_size, manifest.chunk_overlap = settings.chunk_size, settings.chunk_overlap
        manifest.files = {}  # every file must be read again: its articles' chunks change
    return manifest


class _Builder:
    """Writes what changed into one new segment and marks what it replaces as deleted."""

    def __init__(
        self,
        root: IndexDir,
        base: Index | None,
        manifest: Manifest,
        embedder: Embedder | None,
        progress: Progress | None,
        dry_run: bool = False,
        refusal: str = "cannot add",  # how the error a strict source's failure raises begins
    ) -> None:
        self.root, self.manifest, self.embedder, self.dry_run = root, manifest, embedder, dry_run
        self.refusal = refusal
        self.progress = progress or (lambda event, count: None)
        self.report = BuildReport()
        self.live: dict[str, tuple[dict[str, Any], int]] = dict(base.articles) if base is not None else {}
        self.known_files, manifest.files = manifest.files, {}
        self.known_web, manifest.web = manifest.web, {}
        self.claimed = attribution(manifest.sources, self.live, self.known_web)  # each source's articles before
        self.given: dict[str, set[str]] = {}  # each source read: the articles it gives now
        self.pending: list[tuple[Article, str, list[Chunk]]] = []
        self.changed = False
        self.writer: SegmentWriter | None = None
        self.file_clean = True  # no article of the file being read was skipped

    def _unchanged(self, path: str, stat: Any) -> bool:
        known = self.known_files.get(path)
        return known is not None and (known["size"], known["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns)

    def run(self, sources: list[str], strict: set[str], max_mb: float, web: WebSource) -> BuildReport:
        """Read `sources` one after the other; a failure of one in `strict` raises `InputError`."""
        seen: set[str] = set()
        for source in sources:
            given = self.given[source] = set()
            items = web.articles([source]) if is_url(source) else load_articles([Path(source)], max_mb, self._unchanged)
            self._read(items, source, seen, given, source in strict)
            if not given and source in strict:
                raise InputError(f"{self.refusal} {source}: no articles found in it; nothing was changed")
        self._flush()
        self.manifest.web = web.states
        if any(is_url(s) for s in sources):
            self.report.web = web.report
        return self.report

    def _read(self, items: Iterable[Any], source: str, seen: set[str], given: set[str], strict: bool) -> None:
        held: list[str] = []  # the articles of the file being read
        for item in items:
            if isinstance(item, Kept):
                given.update(item.doc_ids)
                self.report.unchanged += 0 if item.again else len(item.doc_ids)
                continue
            if isinstance(item, FileDone):
                if item.skipped:
                    held = [d for d in self.known_files[item.path]["doc_ids"] if d not in seen]
                    seen.update(held)
                    given.update(held)
                    self.report.unchanged += len(held)
                    self.progress("article", len(held))
                # read again next time: a file with a problem, and one changed so lately that a change
                # within the same clock tick would leave its size and time as they are (git's "racy" files)
                if item.clean and self.file_clean and (item.skipped or time.time_ns() - item.mtime_ns > RACY_NS):
                    self.manifest.files[item.path] = {"size": item.size, "mtime_ns": item.mtime_ns, "doc_ids": held}
                held, self.file_clean = [], True
                continue
            if isinstance(item, Problem):
                if strict and item.path == source:
                    raise InputError(f"{self.refusal} {source}: {item.reason}; nothing was changed")
                self.report.problems.append(item)
                if item.doc_id:  # it broke unexpectedly: the version indexed before, if any, stays
                    seen.add(item.doc_id)
                    given.add(item.doc_id)
                continue
            self.progress("article", 1)
            if item.doc_id in seen:
                self.report.problems.append(Problem(item.path, f"duplicate article id {item.doc_id!r}: skipped"))
                self.file_clean = False
                continue
            if owner := self._owner(item, source):
                reason = f"article id {item.doc_id!r} is already indexed from {owner} (another source): skipped"
                self.report.problems.append(Problem(item.path, reason))
                self.file_clean = False
                continue
            seen.add(item.doc_id)
            given.add(item.doc_id)
            held.append(item.doc_id)
            self._consider(item)

    def _owner(self, article: Article, source: str) -> str:
        """The file of another source already indexed under this article's id with other content, if any.

        Two folders of the same name give the same ids: the second must not replace the
        first's articles. The same content through both (a folder moved and added again)
        is one article that both sources give.
        """
        entry = self.live.get(article.doc_id, ({}, 0))[0]
        path = entry.get("path", "")
        if not path or is_url(path) or is_under(path, source) or entry["hash"] == article_hash(article, self.manifest):
            return ""
        return path

    def settle(self, read: list[str], removed: Sequence[str]) -> None:
        """Remove the articles no source gives any more; keep the states and articles of sources not read.

        A source read that gave nothing though it gave articles before (a moved folder, an
        unmounted disk) counts as not read: its articles stay, and it is reported missing.
        """
        missing = [s for s in read if not self.given[s] and self.claimed.get(s)]
        self.report.missing = [MissingSource(s, len(self.claimed[s])) for s in missing]
        self.report.problems = [p for p in self.report.problems if p.path not in missing]  # said once, as missing
        done = [s for s in read if s not in missing]
        for source in removed:
            del self.manifest.sources[source]
        self.report.sources_removed = list(removed)
        self.report.sources_added = [s for s in done if s not in self.manifest.sources]
        for source in done:
            self.manifest.sources[source] = self.manifest.sources.get(source, {}) | {
                "doc_ids": sorted(self.given[source])
            }
            self.manifest.sources[source].setdefault("added_at", datetime.now(UTC).isoformat(timespec="seconds"))
        others = [s for s in self.manifest.sources if s not in done]
        for source in others:  # an older index's sources get their articles named once
            self.manifest.sources[source].setdefault("doc_ids", sorted(self.claimed.get(source, ())))
        kept = set().union(*(self.claimed.get(s, set()) for s in others), *self.given.values())
        candidates = set().union(*(self.claimed.get(s, set()) for s in [*done, *removed]))
        gone = [doc_id for doc_id in self.live if doc_id in candidates and doc_id not in kept]
        for doc_id in gone:
            self._delete(doc_id)
        self.report.removed = len(gone)
        self.manifest.files = carried_files(self.known_files, others) | self.manifest.files
        self.manifest.web = carried_web(self.known_web, others) | self.manifest.web

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
        if self.dry_run:  # counted, not embedded
            self.report.chunks_embedded += sum(len(chunks) for _, _, chunks in self.pending)
            self.pending = []
            return
        assert self.embedder is not None  # articles are read only with one
        if self.writer is None:
            self.writer = self.root.new_segment(self.manifest.uid)
        chunks = [(article, chunk) for article, _, article_chunks in self.pending for chunk in article_chunks]
        vectors = self.embedder.embed([chunk.text for _, chunk in chunks])
        for article, digest, _ in self.pending:
            if article.doc_id in self.live:  # a changed article: its old version goes
                self._delete(article.doc_id)
            self.writer.add_article(article.entry(digest), stored_statements(article))
        self.writer.add(
            [chunk.chunk_id for _, chunk in chunks],
            [chunk.text for _, chunk in chunks],
            [article.chunk_metadata(chunk) for article, chunk in chunks],
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
    kept = [entry for i, entry in enumerate(manifest.segments) if i not in chosen]
    if not any(live[i] for i in chosen):  # nothing of them left: they go, nothing is written
        manifest.segments = kept
        return len(chosen)
    writer = root.new_segment(manifest.uid)
    for i in sorted(chosen):
        segment = segments[i]
        for entry in segment.articles:
            if entry["doc_id"] not in deleted[i]:
                writer.add_article(entry, segment.statements.get(entry["doc_id"]))
        rows = np.flatnonzero(segment.kept(deleted[i]))
        for batch in segment.chunks(rows):
            metadatas = [{k: v for k, v in m.items() if k != "row"} for m in batch["metadatas"]]
            writer.add(batch["ids"], batch["documents"], metadatas, batch["embeddings"])
    merged = writer.finish()
    manifest.segments = [*kept, {"name": merged.name, "deleted": []}]
    return len(chosen)
