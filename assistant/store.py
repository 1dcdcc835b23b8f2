"""The on-disk index: a manifest, a Chroma collection and a BM25 keyword index.

    index_dir/
      CURRENT           names the generation in use
      .lock             held by the one process writing the index
      gen-000001/
        manifest.json   format, embedding model, remembered paths, one entry per article
        chroma/         chromadb PersistentClient: chunk texts, vectors, metadata
        keyword/        bm25s index over the same chunks, their vectors and tokens (updated, not rebuilt)

Every write goes to a new generation: `index build` copies the current one
and updates the copy, `index rebuild` starts an empty one. CURRENT is switched
(atomically) only once the new generation is complete, so a reader sees the old
index or the new one, never a mix, and a build killed at any point leaves the
previous index as it was. The generation CURRENT replaced is kept one more round
for readers that opened it just before the switch.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import IndexLockedError, IndexMismatchError, IndexMissingError

if TYPE_CHECKING:
    import numpy as np

    from assistant.keyword import KeywordIndex
    from assistant.models import Article
    from assistant.settings import Settings

FORMAT_VERSION = 1
COLLECTION = "chunks"


@dataclass
class Manifest:
    embedding_model: str
    chunk_size: int
    chunk_overlap: int
    format_version: int = FORMAT_VERSION
    paths: list[str] = field(default_factory=list)
    built_at: str | None = None
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)
    # set on commit: a generation published whole (copy-on-write) has a store that matches it;
    # False in indexes written in place by older versions, which a build checks first
    published_whole: bool = False

    @classmethod
    def read(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text()))

    def write(self, path: Path) -> None:
        _atomic_write(path, json.dumps(self.__dict__, indent=1, ensure_ascii=False))

    def chunk_ids(self) -> set[str]:
        return {chunk for entry in self.articles.values() for chunk in entry["chunks"]}


def _atomic_write(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


@dataclass
class IndexStatus:
    index_dir: str
    articles: int
    chunks: int
    embedding_model: str
    chunk_size: int
    chunk_overlap: int
    paths: list[str]
    built_at: str | None
    format_version: int


def index_status(settings: Settings) -> IndexStatus:
    manifest = IndexDir(settings.index_dir).open().manifest()
    return IndexStatus(
        index_dir=str(settings.index_dir),
        articles=len(manifest.articles),
        chunks=sum(len(entry["chunks"]) for entry in manifest.articles.values()),
        embedding_model=manifest.embedding_model,
        chunk_size=manifest.chunk_size,
        chunk_overlap=manifest.chunk_overlap,
        paths=manifest.paths,
        built_at=manifest.built_at,
        format_version=manifest.format_version,
    )


class IndexDir:
    """The index directory: its generations, which one is current, and the writer's lock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def current(self) -> Index | None:
        pointer = self.path / "CURRENT"
        if not pointer.is_file():
            return None
        return Index(self.path / pointer.read_text().strip())

    def open(self) -> Index:
        index = self.current()
        if index is None or not index.exists():
            raise IndexMissingError(f"no index at {self.path}: run `assistant index build PATH` first")
        return index

    def generations(self) -> list[Path]:
        return sorted(p for p in self.path.glob("gen-*") if p.name[4:].isdigit())

    def new_generation(self, copy_of: Index | None = None) -> Index:
        """A new generation folder: empty, or a copy of `copy_of`. Call with the lock held
        (numbered past any a killed build left, which the next `tidy` removes)."""
        import shutil

        numbers = [int(p.name[4:]) for p in self.generations()]
        folder = self.path / f"gen-{max(numbers, default=0) + 1:06d}"
        if copy_of is None:
            folder.mkdir(parents=True)
        else:
            shutil.copytree(copy_of.directory, folder)
        return Index(folder)

    def publish(self, index: Index) -> None:
        """Make `index` current; keep the generation it replaces, remove older ones."""
        _atomic_write(self.path / "CURRENT", index.directory.name)
        self.tidy()

    def tidy(self) -> None:
        """Remove all generations but the current one and the one before it. Call with the lock held.

        What goes: older generations no reader should still hold, and ones left by killed builds.
        """
        import shutil

        current = self.current()
        name = current.directory.name if current is not None else ""
        older = [p for p in self.generations() if p.name < name]
        keep = {name, older[-1].name if older else ""}
        for folder in self.generations():
            if folder.name not in keep:
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
    """One generation of the index."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.manifest_path = directory / "manifest.json"
        self._collection: Any = None
        self._keyword: KeywordIndex | None = None

    # --- opening -------------------------------------------------------------------
    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> Manifest:
        if not self.exists():
            raise IndexMissingError(f"no index at {self.directory}: run `assistant index build PATH` first")
        try:
            manifest = Manifest.read(self.manifest_path)
        except (ValueError, TypeError) as error:
            raise IndexMismatchError(
                f"index manifest {self.manifest_path} is unreadable ({error}): run `assistant index rebuild`"
            ) from None
        if manifest.format_version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index at {self.directory} has format {manifest.format_version}, this version reads "
                f"{FORMAT_VERSION}: run `assistant index rebuild`"
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

    @property
    def collection(self) -> Any:
        if self._collection is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            client = chromadb.PersistentClient(
                path=str(self.directory / "chroma"),
                settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
            )
            self._collection = client.get_or_create_collection(
                COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        return self._collection

    @cached_property
    def _articles(self) -> list[dict[str, Any]]:
        """The manifest's entry of every indexed article, read once."""
        return list(self.manifest().articles.values())

    @cached_property
    def _article_sources(self) -> list[str]:
        """The outlet of every indexed article ("" where unknown)."""
        return [entry.get("source") or "" for entry in self._articles]

    @cached_property
    def sources(self) -> frozenset[str]:
        """The outlets of the indexed articles."""
        return frozenset(source for source in self._article_sources if source)

    @cached_property
    def titles(self) -> list[str]:
        """The titles of the indexed articles."""
        return [entry.get("title") or "" for entry in self._articles]

    @cached_property
    def _heading_words(self) -> frozenset[str]:
        """The tokens of every article's title and outlet: words the chunk texts may lack."""
        from assistant.keyword import tokenize

        return frozenset(token for text in [*self.titles, *self.sources] for token in tokenize(text))

    def mentions(self, word: str) -> bool:
        """Whether any article uses `word` (stemmed, as BM25 sees it) in its text, title or outlet."""
        from assistant.keyword import tokenize

        tokens = tokenize(word)
        return not tokens or any(self.keyword.knows(t) or t in self._heading_words for t in tokens)

    @property
    def every_article_has_source(self) -> bool:
        """Whether `sources` is the whole story: then a question about another outlet has no answer here."""
        return all(self._article_sources)

    @property
    def keyword(self) -> KeywordIndex:
        from assistant.keyword import KeywordIndex

        if self._keyword is None:
            folder = self.directory / "keyword"
            if not KeywordIndex.is_current(folder):
                raise IndexMismatchError(
                    f"the keyword index in {self.directory} is missing or from another version: "
                    "run `assistant index build`"
                )
            self._keyword = KeywordIndex.load(folder)
        return self._keyword

    # --- writing -------------------------------------------------------------------
    def add(self, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]], vectors: np.ndarray) -> None:
        step = self.collection._client.get_max_batch_size()
        for begin in range(0, len(ids), step):
            end = begin + step
            self.collection.upsert(
                ids=ids[begin:end],
                documents=texts[begin:end],
                metadatas=metadatas[begin:end],
                embeddings=vectors[begin:end],
            )

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        if not ids:
            return
        step = self.collection._client.get_max_batch_size()
        for begin in range(0, len(ids), step):
            self.collection.delete(ids=ids[begin : begin + step])

    def stored_ids(self) -> set[str]:
        return {cid for page in self._pages([]) for cid in page["ids"]}

    def _pages(self, include: list[str], size: int = 5000) -> Iterator[dict[str, Any]]:
        """Every stored chunk, a page at a time (one `get` of 100,000 ids overflows SQLite's variables)."""
        offset = 0
        while page := self.collection.get(include=include, limit=size, offset=offset):
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def rebuild_keyword_index(self) -> None:
        """Re-index every stored chunk for BM25 (reads and tokenizes them all) and save it."""
        from assistant.keyword import KeywordIndex, KeywordRows

        rows = KeywordRows()
        for page in self._pages(["documents", "metadatas", "embeddings"]):
            rows.add(page["ids"], page["documents"], page["metadatas"], page["embeddings"])
        self.save_keyword(KeywordIndex.build(rows))

    def save_keyword(self, keyword: KeywordIndex) -> None:
        """Replace the keyword index atomically."""
        staging = Path(tempfile.mkdtemp(dir=self.directory, prefix=".keyword."))
        keyword.save(staging)
        _swap_dirs(staging, self.directory / "keyword")
        self._keyword = keyword

    def commit(self, manifest: Manifest) -> None:
        manifest.built_at = datetime.now(UTC).isoformat(timespec="seconds")
        manifest.published_whole = True
        manifest.write(self.manifest_path)

    # --- reading -------------------------------------------------------------------
    def get(self, ids: list[str]) -> dict[str, Any]:
        return self.collection.get(ids=ids, include=["documents", "metadatas"])

    def article(self, doc_id: str) -> Article | None:
        """An indexed article, its text put back together from its chunks (the offsets quotes refer to)."""
        from assistant.models import Article

        found = self.collection.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])
        if not found["ids"]:
            return None
        pieces = sorted(zip(found["metadatas"], found["documents"], strict=True), key=lambda p: p[0]["char_start"])
        text = ""
        for metadata, document in pieces:  # chunks overlap; text between them is whitespace
            start = metadata["char_start"]
            text = text[:start].ljust(start) + document
        first = pieces[0][0]
        return Article(
            doc_id=doc_id,
            text=text,
            title=first.get("title", ""),
            source=first.get("source", ""),
            published_at=first.get("published_at"),
            url=first.get("url", ""),
        )

    def dense(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """Chroma's nearest chunks to `vector` over the whole index: (chunk id, cosine similarity)."""
        found = self.collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        return [(cid, 1.0 - distance) for cid, distance in zip(found["ids"][0], found["distances"][0], strict=True)]


def _swap_dirs(staging: Path, target: Path) -> None:
    """Replace `target` with `staging`: the old folder stays whole until the new one is in place."""
    import shutil

    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)
