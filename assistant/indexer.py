"""Bring the index in line with a set of paths, embedding only what changed."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.chunking import chunk_article
from assistant.cleaning import to_timestamp
from assistant.embeddings import Embedder, make_embedder
from assistant.errors import InputError
from assistant.ingest import Problem, load_articles, unexpected
from assistant.keyword import KeywordIndex, KeywordRows
from assistant.models import Article, Chunk
from assistant.settings import Settings
from assistant.store import Index, IndexDir, Manifest, index_status

__all__ = ["BuildReport", "build_index", "index_status"]

EMBED_BATCH_CHUNKS = 256  # chunks embedded and stored per step: bounds memory on big corpora

Progress = Callable[[str, int], None]  # (event, count): "article" or "embedded"


@dataclass
class BuildReport:
    articles: int = 0
    chunks: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    problems: list[Problem] = field(default_factory=list)
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
    paths: Iterable[Path] | None,
    settings: Settings,
    *,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Index the articles under `paths` (default: the remembered ones).

    Unchanged articles are kept as they are, new and changed ones are chunked and
    embedded, and articles no longer found under the paths are removed.
    `rebuild` starts from nothing in a new generation, switched to when complete.
    """
    started = time.perf_counter()
    embedder = embedder or make_embedder(settings)
    root = IndexDir(settings.index_dir)
    with root.lock(settings.lock_timeout):
        root.tidy()
        current = root.current()
        previous = current.manifest() if current is not None and current.exists() and not rebuild else None
        remembered = previous.paths if previous else (current.remembered_paths() if current else [])
        path_list = [str(Path(p).resolve()) for p in paths] if paths else remembered
        if not path_list:
            raise InputError("no paths to index: run `assistant index build PATH...`")
        if current is None or previous is None or rebuild:
            base, manifest = None, _new_manifest(settings, embedder)
        else:
            base, manifest = current, previous
            base.check_embedding_model(manifest, embedder.model_id)
            manifest.chunk_size, manifest.chunk_overlap = settings.chunk_size, settings.chunk_overlap
        builder = _Builder(root, base, manifest, embedder, progress)
        report = builder.run([Path(p) for p in path_list], settings.max_article_mb)
        if builder.written is not None or manifest.paths != path_list:
            manifest.paths = path_list
            builder.index.commit(manifest)
            root.publish(builder.index)
    report.articles = len(manifest.articles)
    report.chunks = sum(len(entry["chunks"]) for entry in manifest.articles.values())
    report.seconds = round(time.perf_counter() - started, 3)
    report.index_dir = str(settings.index_dir)
    return report


def _new_manifest(settings: Settings, embedder: Embedder) -> Manifest:
    return Manifest(
        embedding_model=embedder.model_id,
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
    )


def _consistent(index: Index, manifest: Manifest) -> bool:
    """Whether store and manifest agree: always so for a generation published whole (copy-on-write)."""
    return manifest.published_whole or index.stored_ids() == manifest.chunk_ids()


def _reconcile(index: Index, manifest: Manifest) -> None:
    """Make the store and the manifest agree (an index written in place by an older version).

    Chunks the manifest does not know are deleted; articles whose chunks are
    missing are forgotten, so this build embeds them again.
    """
    stored = index.stored_ids()
    known = manifest.chunk_ids()
    if orphans := stored - known:
        index.delete(sorted(orphans))
    for doc_id, entry in list(manifest.articles.items()):
        if not set(entry["chunks"]) <= stored:
            del manifest.articles[doc_id]


class _Builder:
    """Updates a new generation: a copy of `base` made on the first write, or an empty one."""

    def __init__(
        self, root: IndexDir, base: Index | None, manifest: Manifest, embedder: Embedder, progress: Progress | None
    ) -> None:
        self.root, self.base, self.manifest, self.embedder = root, base, manifest, embedder
        self.progress = progress or (lambda event, count: None)
        self.report = BuildReport()
        self.pending: list[tuple[Article, str, list[Chunk]]] = []
        self.changed = False
        self.written: Index | None = None
        self.keyword_added = KeywordRows()  # what this build changes in the keyword index
        self.keyword_removed: set[str] = set()
        self.reconciled = base is None or not _consistent(base, manifest)
        if self.reconciled:
            _reconcile(self.index, manifest)

    @property
    def index(self) -> Index:
        """The generation being written, created on first use."""
        if self.written is None:
            self.written = self.root.new_generation(copy_of=self.base)
        return self.written

    def run(self, paths: list[Path], max_mb: float) -> BuildReport:
        seen: set[str] = set()
        for item in load_articles(paths, max_mb):
            if isinstance(item, Problem):
                self.report.problems.append(item)
                if item.doc_id:  # it broke unexpectedly: the version indexed before, if any, stays
                    seen.add(item.doc_id)
                continue
            self.progress("article", 1)
            if item.doc_id in seen:
                self.report.problems.append(Problem(item.path, f"duplicate article id {item.doc_id!r}: skipped"))
                continue
            seen.add(item.doc_id)
            digest = article_hash(item, self.manifest)
            entry = self.manifest.articles.get(item.doc_id)
            if entry is not None and entry["hash"] == digest:
                self.report.unchanged += 1
                continue
            try:
                article_chunks = chunk_article(item, self.manifest.chunk_size, self.manifest.chunk_overlap)
            except Exception as error:  # one article that cannot be chunked must not stop the build
                self.report.problems.append(Problem(item.path, unexpected(error)))
                continue  # a previous version of it, if any, stays indexed
            if entry is None:
                self.report.added += 1
            else:
                self.report.updated += 1
            self.pending.append((item, digest, article_chunks))
            if sum(len(chunks) for _, _, chunks in self.pending) >= EMBED_BATCH_CHUNKS:
                self._flush()
        self._flush()
        gone = [doc_id for doc_id in self.manifest.articles if doc_id not in seen]
        for doc_id in gone:
            chunk_ids = self.manifest.articles.pop(doc_id)["chunks"]
            self.index.delete(chunk_ids)
            self.keyword_removed.update(chunk_ids)
        self.report.removed = len(gone)
        keyword_stale = self.base is not None and not KeywordIndex.is_current(self.base.directory / "keyword")
        if self.changed or gone or keyword_stale or self.base is None:
            self._update_keyword_index()
        return self.report

    def _update_keyword_index(self) -> None:
        """Update the copied keyword index with this build's changes; re-read the store only when it must."""
        folder = self.index.directory / "keyword"
        if self.base is None:
            self.index.save_keyword(KeywordIndex.build(self.keyword_added))
        elif self.reconciled or not KeywordIndex.can_update(folder):
            self.index.rebuild_keyword_index()
        else:
            previous = KeywordIndex.load(folder, with_tokens=True)
            self.index.save_keyword(previous.updated(self.keyword_removed, self.keyword_added))

    def _flush(self) -> None:
        if not self.pending:
            return
        chunks = [(article, chunk) for article, _, article_chunks in self.pending for chunk in article_chunks]
        vectors = self.embedder.embed([chunk.text for _, chunk in chunks])
        for article, _, _ in self.pending:  # a changed article: its old chunks go
            if (old := self.manifest.articles.get(article.doc_id)) is not None:
                self.index.delete(old["chunks"])
                self.keyword_removed.update(old["chunks"])
        rows = (
            [chunk.chunk_id for _, chunk in chunks],
            [chunk.text for _, chunk in chunks],
            [chunk_metadata(article, chunk) for article, chunk in chunks],
            vectors,
        )
        self.index.add(*rows)
        self.keyword_added.add(*rows)
        for article, digest, article_chunks in self.pending:
            self.manifest.articles[article.doc_id] = {
                "hash": digest,
                "path": article.path,
                "title": article.title,
                "source": article.source,
                "published_at": article.published_at,
                "url": article.url,
                "chunks": [chunk.chunk_id for chunk in article_chunks],
            }
        self.report.chunks_embedded += len(chunks)
        self.progress("embedded", len(chunks))
        self.changed = True
        self.pending = []
