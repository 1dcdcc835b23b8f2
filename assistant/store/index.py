"""The index: generations over shared, write-once segments.

    index_dir/
      CURRENT            names the generation in use
      .lock              held by the one process writing the index
      gen-000012.json    a generation: settings, remembered paths, files read, its segments and their deleted articles
      segments/seg-000007-3fa2c1/   chunks added by one build (assistant.store.segment)

A build adds one segment holding the new and changed articles and marks the
articles it replaces or drops as deleted in the segments that hold them; it writes
nothing else, so its cost follows the change, not the index. Its generation file,
then CURRENT, are written last (atomically): a reader sees the old index or the
new one, never a mix, and a build killed at any point leaves the previous index
as it was. Segments no kept generation uses (a killed build's, merged ones) go at
the next build; the generation CURRENT replaced is kept one more round for
readers that opened it just before the switch. When there are more than
MAX_SEGMENTS, the smallest are merged into one (cost: their size).
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.disk import write_atomically
from assistant.errors import IndexLockedError, IndexMismatchError, IndexMissingError
from assistant.store.bm25 import BM25, top_indices
from assistant.store.chroma import ChunkStore, EmbeddedChroma, chunk_store
from assistant.store.segment import Segment, SegmentWriter, project
from assistant.store.sources import REFRESHED, SourceInfo, read_refreshed, source_infos
from assistant.text import TOKENIZER

if TYPE_CHECKING:
    from assistant.records import Article
    from assistant.settings import Settings

FORMAT_VERSION = 3  # 3: a segment's rows grouped by outlet
MAX_SEGMENTS = 8
SHORTLISTED = 4  # candidates per hit a filtered search keeps from a segment's projected vectors
BLOCK_ROWS = 8192  # rows a filtered search reads at a time
RESCORED = 3  # candidates per hit wanted from a vector index of projected vectors


@dataclass
class Manifest:
    embedding_model: str
    chunk_size: int
    chunk_overlap: int
    format_version: int = FORMAT_VERSION
    paths: list[str] = field(default_factory=list)  # the sources, in order (all that earlier versions kept)
    built_at: str | None = None
    store: str = "embedded"  # or the URL of the Chroma server holding the chunks
    uid: str = field(default_factory=lambda: secrets.token_hex(6))  # names its collections on a server
    segments: list[dict[str, Any]] = field(default_factory=list)  # {"name", "deleted": [doc_id, ...]}
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> size, mtime_ns, doc_ids read from it
    web: dict[str, dict[str, Any]] = field(default_factory=dict)  # URL -> what it answered (ingestion.web.sources)
    # source -> added_at, doc_ids (the articles it gave when last read; assistant.store.sources)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sources = {path: {} for path in self.paths} | self.sources  # an older index: its paths are its sources

    @classmethod
    def read(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text()))

    def write(self, path: Path) -> None:
        self.paths = list(self.sources)
        _atomic_write(path, json.dumps(self.__dict__, ensure_ascii=False))


def _atomic_write(path: Path, text: str) -> None:  # a function of its own: the crash tests stop around it
    write_atomically(path, text)


@dataclass
class IndexStatus:
    index_dir: str
    store: str
    articles: int
    chunks: int
    segments: int
    embedding_model: str
    chunk_size: int
    chunk_overlap: int
    paths: list[str]
    built_at: str | None
    format_version: int
    sources: list[SourceInfo]


def index_status(settings: Settings) -> IndexStatus:
    root = IndexDir.of(settings)
    index = root.open()
    manifest = index.manifest()
    sources = source_infos(manifest.sources, index.articles, manifest.web, read_refreshed(root.path))
    return IndexStatus(
        index_dir=str(settings.index_dir),
        store=manifest.store,
        articles=len(index.articles),
        chunks=int(index.alive.sum()),
        segments=len(manifest.segments),
        embedding_model=manifest.embedding_model,
        chunk_size=manifest.chunk_size,
        chunk_overlap=manifest.chunk_overlap,
        paths=list(manifest.sources),
        built_at=manifest.built_at,
        format_version=manifest.format_version,
        sources=sources,
    )


class IndexDir:
    """The index directory: its generations, its segments, which generation is current, the writer's lock."""

    def __init__(self, path: Path, store: ChunkStore | None = None) -> None:
        self.path = path
        self.store = store or EmbeddedChroma()
        self.segments_dir = path / "segments"
        self._segments: dict[str, Segment] = {}  # write-once, so one reading serves every generation

    @classmethod
    def of(cls, settings: Settings) -> IndexDir:
        token = settings.chroma_token.get_secret_value() if settings.chroma_token else None
        return cls(settings.index_dir, chunk_store(settings.chroma_url, token))

    def current(self) -> Index | None:
        pointer = self.path / "CURRENT"
        if not pointer.is_file():
            return None
        name = pointer.read_text().strip()
        if (self.path / name).is_dir():  # format 1: a folder per generation
            return Index(self, self.path / name / "manifest.json")
        return Index(self, self.path / name)

    def open(self) -> Index:
        index = self.current()
        if index is None or not index.exists():
            raise IndexMissingError(f"no index at {self.path}: run `assistant index add PATH` first")
        return index

    def generations(self) -> list[Path]:
        return sorted(p for p in self.path.glob("gen-*") if p.name[4:10].isdigit())

    def segment(self, name: str) -> Segment:
        """A finished segment, read once for all the generations opened through this directory."""
        if name not in self._segments:
            self._segments[name] = Segment(self.segments_dir / name, self.store)
        return self._segments[name]

    def new_segment(self, uid: str) -> SegmentWriter:
        """A segment to write, numbered past any there (a killed build's included). Call with the lock held."""
        self.segments_dir.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[4:10]) for p in self.segments_dir.glob("seg-*") if p.name[4:10].isdigit()]
        name = f"seg-{max(numbers, default=0) + 1:06d}-{secrets.token_hex(3)}"  # never the name of one removed
        return SegmentWriter(self.segments_dir / name, self.store, uid)

    def publish(self, manifest: Manifest) -> Index:
        """Write `manifest` as the next generation and make it current; tidy up. Call with the lock held."""
        numbers = [int(p.name[4:10]) for p in self.generations()]
        path = self.path / f"gen-{max(numbers, default=0) + 1:06d}.json"
        manifest.built_at = datetime.now(UTC).isoformat(timespec="seconds")
        manifest.write(path)
        _atomic_write(self.path / "CURRENT", path.name)
        self.tidy()
        return Index(self, path)

    def note_refreshed(self, read: Iterable[str], removed: Iterable[str] = ()) -> None:
        """Record that the sources `read` were read now (refreshed.json). Call with the lock held."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        gone = set(removed)
        times = {s: t for s, t in read_refreshed(self.path).items() if s not in gone} | dict.fromkeys(read, now)
        _atomic_write(self.path / REFRESHED, json.dumps(times, ensure_ascii=False))

    def tidy(self) -> None:
        """Keep the current generation and the one before it, and the segments they use; remove the rest.

        What goes: older generations no reader should still hold, segments only they
        used, and whatever killed builds left. Call with the lock held.
        """
        current = self.current()
        name = current.name if current is not None else ""
        older = [p for p in self.generations() if p.name < name]
        kept = [self.path / name, *older[-1:]]
        used: set[str] = set()
        for path in kept:
            manifest_path = path / "manifest.json" if path.is_dir() else path
            try:
                used |= {entry["name"] for entry in json.loads(manifest_path.read_text()).get("segments", [])}
            except (OSError, ValueError, AttributeError, TypeError, KeyError):
                continue
        for path in self.generations():
            if path not in kept:
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        for folder in sorted(self.segments_dir.glob("seg-*")):
            if folder.name not in used:
                if (named := folder / "collection").is_file():
                    self.store.drop(named.read_text().strip())
                self._segments.pop(folder.name, None)
                shutil.rmtree(folder, ignore_errors=True)

    def lock(self, timeout: float) -> Any:
        """The writer's lock; a second writer waits up to `timeout` seconds, then gets a clear error."""
        from filelock import FileLock, Timeout

        self.path.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path / ".lock"))
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise IndexLockedError(
                f"another process is writing the index at {self.path} (waited {timeout:g} s, "
                "ASSISTANT_LOCK_TIMEOUT); try again when it is done"
            ) from None
        return lock


class Index:
    """One generation of the index: its segments' live rows, laid end to end."""

    def __init__(self, root: IndexDir, manifest_path: Path) -> None:
        self.root = root
        self.manifest_path = manifest_path
        self.name = manifest_path.name if manifest_path.name != "manifest.json" else manifest_path.parent.name

    # --- opening -------------------------------------------------------------------
    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> Manifest:
        return self._manifest

    @cached_property
    def _manifest(self) -> Manifest:
        if not self.exists():
            raise IndexMissingError(f"no index at {self.root.path}: run `assistant index add PATH` first")
        try:
            data = json.loads(self.manifest_path.read_text())
            version = data.get("format_version")
            manifest = Manifest(**data) if version == FORMAT_VERSION else None
        except (ValueError, TypeError, AttributeError) as error:
            raise IndexMismatchError(
                f"index manifest {self.manifest_path} is unreadable ({error}): run `assistant index rebuild`"
            ) from None
        if manifest is None:
            raise IndexMismatchError(
                f"index at {self.root.path} has format {version}, this version reads {FORMAT_VERSION}: "
                "run `assistant index rebuild`"
            )
        return manifest

    def remembered_paths(self) -> list[str]:
        """The paths the manifest remembers, read leniently: a rebuild needs them even from an old format."""
        try:
            paths = json.loads(self.manifest_path.read_text()).get("paths", [])
        except (OSError, ValueError, AttributeError):
            return []
        return [str(p) for p in paths] if isinstance(paths, list) else []

    def check_embedding_model(self, manifest: Manifest, model_id: str) -> None:
        if manifest.embedding_model != model_id:
            raise IndexMismatchError(
                f"index was built with embedding model {manifest.embedding_model!r}, settings use {model_id!r}: "
                "change ASSISTANT_EMBEDDINGS back, or run `assistant index rebuild`"
            )

    def check_store(self, manifest: Manifest) -> None:
        if manifest.store != self.root.store.name:
            where = "the embedded store" if manifest.store == "embedded" else f"the Chroma server {manifest.store}"
            setting = (
                "unset ASSISTANT_CHROMA_URL"
                if manifest.store == "embedded"
                else f"set ASSISTANT_CHROMA_URL={manifest.store}"
            )
            raise IndexMismatchError(
                f"index at {self.root.path} keeps its chunks in {where}: {setting}, or run `assistant index rebuild`"
            )

    @cached_property
    def segments(self) -> list[Segment]:
        manifest = self.manifest()
        self.check_store(manifest)
        segments = [self.root.segment(entry["name"]) for entry in manifest.segments]
        for segment in segments:
            if segment.meta.get("tokenizer") != TOKENIZER:
                raise IndexMismatchError(
                    f"segment {segment.name} of the index was made by another tokenizer: run `assistant index rebuild`"
                )
        return segments

    @cached_property
    def deleted(self) -> list[set[str]]:
        """The deleted articles of each segment."""
        return [set(entry.get("deleted", [])) for entry in self.manifest().segments]

    # --- the articles --------------------------------------------------------------
    @cached_property
    def articles(self) -> dict[str, tuple[dict[str, Any], int]]:
        """Every live article: doc_id -> (its entry, its segment's position)."""
        live: dict[str, tuple[dict[str, Any], int]] = {}
        for position, (segment, deleted) in enumerate(zip(self.segments, self.deleted, strict=True)):
            for entry in segment.articles:
                if entry["doc_id"] not in deleted:
                    live[entry["doc_id"]] = (entry, position)
        return live

    @cached_property
    def _article_sources(self) -> list[str]:
        """The outlet of every indexed article ("" where unknown)."""
        return [entry.get("source") or "" for entry, _ in self.articles.values()]

    @cached_property
    def sources(self) -> frozenset[str]:
        """The outlets of the indexed articles."""
        return frozenset(source for source in self._article_sources if source)

    @cached_property
    def titles(self) -> list[str]:
        """The titles of the indexed articles."""
        return [entry.get("title") or "" for entry, _ in self.articles.values()]

    @cached_property
    def _heading_words(self) -> frozenset[str]:
        """The tokens of every article's title and outlet: words the chunk texts may lack."""
        from assistant.text import tokenize

        return frozenset(token for text in [*self.titles, *self.sources] for token in tokenize(text))

    def mentions(self, word: str) -> bool:
        """Whether any article uses `word` (stemmed, as BM25 sees it) in its text, title or outlet."""
        from assistant.text import tokenize

        tokens = tokenize(word)
        return not tokens or any(self.bm25.knows(t) or t in self._heading_words for t in tokens)

    @property
    def every_article_has_source(self) -> bool:
        """Whether `sources` is the whole story: then a question about another outlet has no answer here."""
        return all(self._article_sources)

    def article(self, doc_id: str) -> Article | None:
        """An indexed article, its text put back together from its chunks (the offsets quotes refer to)."""
        from assistant.records import Article

        if doc_id not in self.articles:
            return None
        entry, position = self.articles[doc_id]
        found = self.segments[position].collection.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])
        pieces = sorted(zip(found["metadatas"], found["documents"], strict=True), key=lambda p: p[0]["char_start"])
        text = ""
        for metadata, document in pieces:  # chunks overlap; text between them is whitespace
            start = metadata["char_start"]
            text = text[:start].ljust(start) + document
        return Article.from_entry(entry, text)

    # --- the rows ------------------------------------------------------------------
    @cached_property
    def offsets(self) -> np.ndarray:
        """Where each segment's rows start among all rows (and, last, how many rows there are)."""
        return np.cumsum([0, *(len(segment) for segment in self.segments)])

    @cached_property
    def alive(self) -> np.ndarray:
        """Whether each row belongs to a live article."""
        parts = [segment.kept(deleted) for segment, deleted in zip(self.segments, self.deleted, strict=True)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)

    @cached_property
    def timestamps(self) -> np.ndarray:
        parts = [np.asarray(s.timestamps) for s in self.segments]
        return np.concatenate(parts) if parts else np.zeros(0)

    @cached_property
    def bm25(self) -> BM25:
        return BM25([segment.postings for segment in self.segments])

    @cached_property
    def _deleted_rows(self) -> np.ndarray:
        return np.flatnonzero(~self.alive)

    def keyword_scores(self, question: str) -> np.ndarray:
        """BM25 score of every row (0 for deleted ones)."""
        scores = self.bm25.scores(question)
        scores[self._deleted_rows] = 0.0
        return scores

    def _position(self, row: int) -> int:
        """Which segment holds the row."""
        return int(np.searchsorted(self.offsets, row, side="right")) - 1

    def _locate(self, row: int) -> tuple[Segment, int]:
        position = self._position(row)
        return self.segments[position], row - int(self.offsets[position])

    def chunk_id(self, row: int) -> str:
        segment, local = self._locate(row)
        return str(segment.ids[local])

    def vector(self, row: int) -> np.ndarray:
        segment, local = self._locate(row)
        return np.asarray(segment.vectors[local], dtype=np.float32)

    def dense(self, vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The `n` live rows nearest to `vector` by each segment's vector index: (row, cosine), best first.

        A segment whose collection holds projected vectors gives RESCORED x as many candidates,
        ranked again by their exact cosine.
        """
        found: list[tuple[int, float]] = []
        for position, segment in enumerate(self.segments):
            if not len(segment):
                continue
            extra = min(len(self.deleted[position]) * 4, 3 * n)  # room for deleted rows among the nearest
            basis = segment.projection
            wanted = n + extra if basis is None else RESCORED * n + extra
            hits = segment.collection.query(  # Chroma reading the hits' metadata costs 10 times the search
                query_embeddings=[vector if basis is None else project(vector, basis)],
                n_results=min(wanted, len(segment)),
                include=["distances"] if segment.finds_ids else ["distances", "metadatas"],
            )
            if segment.finds_ids:
                local = segment.rows_of(hits["ids"][0])
            else:
                local = segment.added[[metadata["row"] for metadata in hits["metadatas"][0]]]
            if basis is None:
                cosines = 1.0 - np.asarray(hits["distances"][0])
            else:
                local = np.sort(local)  # gathered in file order
                cosines = np.asarray(segment.vectors[local]) @ vector
            rows = int(self.offsets[position]) + local
            found += [(int(row), float(cosine)) for row, cosine in zip(rows, cosines, strict=True) if self.alive[row]]
        return sorted(found, key=lambda hit: -hit[1])[:n]

    def outlet_rows(self, outlets: Collection[str]) -> np.ndarray:
        """The rows of these (lower-cased) outlets, in order: a slice of each segment per outlet."""
        parts = []
        for offset, segment in zip(self.offsets, self.segments, strict=False):
            bounds = segment.outlet_bounds
            for code, outlet in enumerate(segment.meta["outlets"]):
                if outlet in outlets:
                    parts.append(np.arange(offset + bounds[code], offset + bounds[code + 1]))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)  # in order: slices come in order

    def exact_dense(self, vector: np.ndarray, rows: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The `n` of these (sorted) rows most similar to `vector`, by exact search: (row, cosine), best first.

        In a segment with projected vectors, its rows are first ranked by them (a third of the
        bytes to read) and its best SHORTLISTED x n are scored again exactly.
        """
        if not len(rows):
            return []
        rows = self._shortlist(rows, vector, SHORTLISTED * n)
        similarity = self._similarity(rows, vector)
        return [(int(rows[i]), float(similarity[i])) for i in top_indices(similarity, n)]

    def _shortlist(self, rows: np.ndarray, vector: np.ndarray, n: int) -> np.ndarray:
        """These (sorted) rows, less those of projected segments whose projected cosine is not among their best n."""
        kept = []
        bounds = np.searchsorted(rows, self.offsets)
        for position, segment in enumerate(self.segments):
            part = rows[bounds[position] : bounds[position + 1]]
            if segment.projection is not None and len(part) > n:
                rough = self._similarity(part, vector, projected=True)
                part = np.sort(part[top_indices(rough, n)])
            kept.append(part)
        return np.concatenate(kept)

    def _similarity(self, rows: np.ndarray, vector: np.ndarray, projected: bool = False) -> np.ndarray:
        """Cosine of `vector` with each of these (sorted) rows' vectors, or with their projections.

        Where a segment's rows fill most of their span (an outlet's slice), the span is read in
        order, block by block, rather than gathered row by row.
        """
        similarity = np.empty(len(rows), dtype=np.float32)
        bounds = np.searchsorted(rows, self.offsets)
        for position, segment in enumerate(self.segments):
            local = rows[bounds[position] : bounds[position + 1]] - self.offsets[position]
            if not len(local):
                continue
            if projected:
                assert segment.projection is not None  # only a projected segment's rows are asked for so
                matrix, query = segment.projected, project(vector, segment.projection)
            else:
                matrix, query = segment.vectors, vector
            first, last = int(local[0]), int(local[-1]) + 1
            if last - first <= 2 * len(local):
                span = np.concatenate(
                    [matrix[begin : min(begin + BLOCK_ROWS, last)] @ query for begin in range(first, last, BLOCK_ROWS)]
                )
                similarity[bounds[position] : bounds[position + 1]] = span[local - first]
            else:
                for begin in range(0, len(local), BLOCK_ROWS):
                    at = bounds[position] + begin
                    block = local[begin : begin + BLOCK_ROWS]
                    similarity[at : at + len(block)] = matrix[block] @ query
        return similarity

    def fetch(self, rows: Sequence[int]) -> dict[int, tuple[str, str, dict[str, Any]]]:
        """(chunk id, text, metadata) of these rows, read from the segments' collections."""
        by_segment: dict[int, list[int]] = {}
        for row in rows:
            by_segment.setdefault(self._position(row), []).append(row)
        found: dict[int, tuple[str, str, dict[str, Any]]] = {}
        for position, members in by_segment.items():
            ids = [self.chunk_id(row) for row in members]
            got = self.segments[position].collection.get(ids=ids, include=["documents", "metadatas"])
            stored = {
                cid: (text, meta)
                for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            }
            for row, cid in zip(members, ids, strict=True):
                if cid in stored:
                    found[row] = (cid, *stored[cid])
        return found
