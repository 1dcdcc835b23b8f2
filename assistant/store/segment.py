"""A segment: chunks added by one build (or one merge), written once and then only read.

    segments/seg-000007-3fa2c1/
      collection        the Chroma collection's name (written first: a killed build's leftovers can be found)
      chroma/           the embedded store's data (a server keeps it instead)
      ids.npy           chunk id of every row; rows are grouped by outlet, so an outlet's rows are one slice
      added.npy         the order rows were added (the `row` Chroma stores with each chunk) -> row
      sorted_ids.npy    the chunk ids in sorted order, and id_rows.npy their rows: Chroma's hits, named
                        by id, find their rows without Chroma reading their metadata
      articles.npy      row -> position of its article in meta.json
      outlets.npy       row -> position of its outlet in meta.json
      timestamps.npy    publication time of every row (NaN if unknown)
      vectors.npy       embedding of every row (exact search inside an outlet or date filter)
      projection.npy    in a segment of PROJECT_ROWS rows or more: the basis its collection's vectors are
                        projected on (Chroma's vector index holds a third of the floats; hits are rescored exactly),
      projected.npy     and every row's projected vector (a filtered search's first pass: a third of the bytes)
      terms.npy ...     BM25 postings (assistant.store.bm25.Postings)
      statements.json   who said what in each article (assistant.statements), by doc_id: read only by what
                        lists or checks statements; an article missing from it was indexed before statements
      meta.json         tokenizer, outlets, the articles with their hashes; written last, so it marks the
                        segment whole

Everything is memory-mapped when read: a search pages in only what it touches.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assistant.disk import write_atomically
from assistant.store.bm25 import Postings
from assistant.store.chroma import ChunkStore
from assistant.text import TOKENIZER, tokenize

ADD_BATCH = 1000  # rows a Chroma call sends at a time
# Chroma's vector index holds every vector in memory as float32 (1.5 GB at 1M rows of 384). A segment
# reaching PROJECT_ROWS rows gives it their projection on the first 1 / PROJECTED_SHARE of the principal
# axes of its first PROJECT_ROWS rows (for MiniLM: 128 of 384) and has its hits rescored with the
# exact vectors (assistant.store.index).
PROJECT_ROWS = 20_000
PROJECTED_SHARE = 3


def collection_name(uid: str, segment: str) -> str:
    return f"assistant-{uid}-{segment}"


class Segment:
    """A finished segment, read-only."""

    def __init__(self, folder: Path, store: ChunkStore) -> None:
        self.folder, self.store = folder, store
        self.name = folder.name

    @cached_property
    def meta(self) -> dict[str, Any]:
        return json.loads((self.folder / "meta.json").read_text())

    @property
    def articles(self) -> list[dict[str, Any]]:
        return self.meta["articles"]

    def _array(self, name: str) -> np.ndarray:
        return np.load(self.folder / f"{name}.npy", mmap_mode="r")

    @cached_property
    def statements(self) -> dict[str, list[dict[str, Any]]]:
        """The statements of each article, by doc_id (none in a segment written before statements)."""
        path = self.folder / "statements.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    @cached_property
    def ids(self) -> np.ndarray:
        return self._array("ids")

    @cached_property
    def article_of_row(self) -> np.ndarray:
        return self._array("articles")

    @cached_property
    def outlet_of_row(self) -> np.ndarray:
        return self._array("outlets")

    @cached_property
    def timestamps(self) -> np.ndarray:
        return self._array("timestamps")

    @cached_property
    def added(self) -> np.ndarray:
        return self._array("added")

    @cached_property
    def finds_ids(self) -> bool:
        """Whether rows_of works: segments written before sorted_ids.npy find a hit's row in its metadata."""
        return (self.folder / "sorted_ids.npy").is_file()

    @cached_property
    def _sorted_ids(self) -> np.ndarray:
        return self._array("sorted_ids")

    @cached_property
    def _id_rows(self) -> np.ndarray:
        return self._array("id_rows")

    def rows_of(self, ids: list[str]) -> np.ndarray:
        """The rows of these chunk ids (all in the segment)."""
        return np.asarray(self._id_rows[np.searchsorted(self._sorted_ids, ids)])

    @cached_property
    def outlet_bounds(self) -> np.ndarray:
        """Outlet i (in meta.json) holds rows outlet_bounds[i]:outlet_bounds[i + 1]."""
        return np.searchsorted(self.outlet_of_row, np.arange(len(self.meta["outlets"]) + 1))

    @cached_property
    def vectors(self) -> np.ndarray:
        return self._array("vectors")

    @cached_property
    def projected(self) -> np.ndarray:
        return self._array("projected")

    @cached_property
    def projection(self) -> np.ndarray | None:
        """The (dimensions x projected) basis the collection's vectors are projected on, or None."""
        path = self.folder / "projection.npy"
        return np.load(path) if path.is_file() else None

    @cached_property
    def postings(self) -> Postings:
        return Postings.load(self.folder)

    @cached_property
    def collection(self) -> Any:
        return self.store.collection(self.folder, (self.folder / "collection").read_text().strip())

    def __len__(self) -> int:
        return len(self.ids)

    def kept(self, deleted: set[str]) -> np.ndarray:
        """Whether each row belongs to an article not among `deleted`."""
        if not deleted:
            return np.ones(len(self), dtype=bool)
        positions = [i for i, entry in enumerate(self.articles) if entry["doc_id"] in deleted]
        return ~np.isin(self.article_of_row, positions)

    def chunks(self, rows: np.ndarray) -> Iterator[dict[str, Any]]:
        """The stored texts and metadata of these rows, with their (exact) vectors, a batch at a time."""
        for begin in range(0, len(rows), ADD_BATCH):
            batch = rows[begin : begin + ADD_BATCH]
            ids = [str(self.ids[row]) for row in batch]
            found = self.collection.get(ids=ids, include=["documents", "metadatas"])
            order = {cid: i for i, cid in enumerate(found["ids"])}
            yield {key: [found[key][order[cid]] for cid in ids] for key in ("ids", "documents", "metadatas")} | {
                "embeddings": np.asarray(self.vectors[batch], dtype=np.float32)
            }


class SegmentWriter:
    """Writes a new segment: chunks reach the collection as they come once it has PROJECT_ROWS rows, or at `finish`."""

    def __init__(self, folder: Path, store: ChunkStore, uid: str) -> None:
        self.folder, self.store = folder, store
        folder.mkdir(parents=True)
        name = collection_name(uid, folder.name)
        (folder / "collection").write_text(name)
        self.collection = store.collection(folder, name, create=True)
        self.ids: list[str] = []
        self.tokens: list[list[str]] = []
        self.article_rows: list[int] = []
        self.outlet_rows: list[int] = []
        self.timestamps: list[float] = []
        self.vectors: list[np.ndarray] = []
        self.articles: list[dict[str, Any]] = []
        self.position: dict[str, int] = {}  # doc_id -> its place in `articles`
        self.statements: dict[str, list[dict[str, Any]]] = {}
        self.outlets: dict[str, int] = {}
        # chunks wait here until the segment is known to stay under PROJECT_ROWS (at `finish`) or passes it
        self.pending: list[tuple[list[str], list[str], list[dict[str, Any]], np.ndarray]] = []
        self.projection: np.ndarray | None = None
        self.sending = False  # whether the segment's size, hence its projection, is settled

    def __len__(self) -> int:
        return len(self.ids)

    def add_article(self, entry: dict[str, Any], statements: list[dict[str, Any]] | None = None) -> None:
        """Record an article whose chunks follow (`entry` holds doc_id, hash, path, title, ...), and its
        statements (None: not known, as for an article indexed before statements)."""
        self.position[entry["doc_id"]] = len(self.articles)
        self.articles.append(entry)
        if statements is not None:
            self.statements[entry["doc_id"]] = statements

    def add(self, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]], vectors: np.ndarray) -> None:
        """Store chunks of the articles added so far (each metadata names its doc_id)."""
        metadatas = [{**m, "row": len(self.ids) + i} for i, m in enumerate(metadatas)]
        vectors = np.asarray(vectors, dtype=np.float32)
        self.pending.append((ids, texts, metadatas, vectors))
        self.ids += ids
        self.tokens += [tokenize(text) for text in texts]
        self.article_rows += [self.position[m["doc_id"]] for m in metadatas]
        self.outlet_rows += [self.outlets.setdefault(m.get("source_lc", ""), len(self.outlets)) for m in metadatas]
        self.timestamps += [m.get("published_ts", np.nan) for m in metadatas]
        self.vectors += list(vectors)
        if not self.sending and len(self.ids) >= PROJECT_ROWS:
            self.sending = True
            if (dimensions := len(vectors[0]) // PROJECTED_SHARE) > 1:
                self.projection = principal_axes(np.stack(self.vectors[:PROJECT_ROWS]), dimensions)
                np.save(self.folder / "projection.npy", self.projection)
        if self.sending:
            self._send()

    def _send(self) -> None:
        """Add the pending chunks to the collection (their vectors projected, once the segment has a basis)."""
        for ids, texts, metadatas, vectors in self.pending:
            if self.projection is not None:
                vectors = project(vectors, self.projection)
            for begin in range(0, len(ids), ADD_BATCH):
                end = begin + ADD_BATCH
                self.collection.add(
                    ids=ids[begin:end],
                    documents=texts[begin:end],
                    metadatas=metadatas[begin:end],
                    embeddings=vectors[begin:end],
                )
        self.pending = []

    def finish(self) -> Segment:
        """Write the row files (rows grouped by outlet), the postings, then meta.json, which marks the segment whole."""
        self._send()
        folder = self.folder
        order = np.argsort(np.array(self.outlet_rows, dtype=np.int32), kind="stable")
        added = np.empty(len(order), dtype=np.int32)
        added[order] = np.arange(len(order))
        np.save(folder / "added.npy", added)
        ids = np.array(self.ids, dtype=str)[order]
        np.save(folder / "ids.npy", ids)
        by_id = np.argsort(ids, kind="stable")
        np.save(folder / "sorted_ids.npy", ids[by_id])
        np.save(folder / "id_rows.npy", by_id.astype(np.int32))
        for name, values, dtype in (
            ("articles", self.article_rows, np.int32),
            ("outlets", self.outlet_rows, np.int32),
            ("timestamps", self.timestamps, np.float64),
        ):
            np.save(folder / f"{name}.npy", np.array(values, dtype=dtype)[order])
        dimensions = len(self.vectors[0]) if self.vectors else 0
        vectors = np.stack([self.vectors[i] for i in order]) if self.vectors else np.zeros((0, dimensions), np.float32)
        np.save(folder / "vectors.npy", vectors)
        if self.projection is not None:
            np.save(folder / "projected.npy", project(vectors, self.projection))
        Postings.build([self.tokens[i] for i in order]).save(folder)
        _durable_write(folder / "statements.json", json.dumps(self.statements, ensure_ascii=False))
        meta = {"tokenizer": TOKENIZER, "outlets": list(self.outlets), "articles": self.articles}
        _durable_write(folder / "meta.json", json.dumps(meta, ensure_ascii=False))
        return Segment(folder, self.store)


def principal_axes(vectors: np.ndarray, dimensions: int) -> np.ndarray:
    """The `dimensions` axes that keep most of these vectors (uncentred: cosine ranks by the whole vector)."""
    _, _, axes = np.linalg.svd(vectors.astype(np.float64), full_matrices=False)
    return axes[:dimensions].T.astype(np.float32)


def project(vectors: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Vectors on the basis, normalised (Chroma's cosine then ranks as their cosine)."""
    projected = np.asarray(vectors, dtype=np.float32) @ basis
    return projected / np.maximum(np.linalg.norm(projected, axis=-1, keepdims=True), 1e-12)


def _durable_write(path: Path, text: str) -> None:
    """Write `path` whole and flush it, and everything written before it, to disk."""
    for written in path.parent.glob("*.npy"):  # the row files written before it
        handle = os.open(written, os.O_RDONLY)
        os.fsync(handle)
        os.close(handle)
    write_atomically(path, text)
