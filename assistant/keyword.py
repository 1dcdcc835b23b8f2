"""BM25 keyword index over the chunks (bm25s), saved beside the vector store."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np

FILTER_KEYS = ("source_lc", "published_ts")
TOKENIZER = "words-stopwords-snowball-en"  # saved with the index: another tokenizer means rebuild it
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed words of two or more characters, English stop words removed.

    Interned: the token lists of a whole corpus share one string per word (half the memory).
    """
    stop = _stopwords()
    return list(map(sys.intern, _stemmer().stemWords([t for t in _TOKEN.findall(text.lower()) if t not in stop])))


@cache
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@cache
def _stopwords() -> frozenset[str]:
    import bm25s.stopwords

    return frozenset(bm25s.stopwords.STOPWORDS_EN)


def top_indices(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the `n` highest scores, highest first (a partial sort: no full argsort)."""
    if len(scores) > n:
        candidates = np.argpartition(-scores, n)[:n]
        return candidates[np.argsort(-scores[candidates])]
    return np.argsort(-scores)


@dataclass
class KeywordRows:
    """Chunks for a keyword index: ids, tokens, filter fields and vectors, in one order."""

    ids: list[str] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)

    def add(self, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]], vectors: np.ndarray) -> None:
        self.ids += ids
        self.tokens += [tokenize(text) for text in texts]
        self.metadatas += [{key: m[key] for key in FILTER_KEYS if key in m} for m in metadatas]
        self.vectors += list(np.asarray(vectors, dtype=np.float32))


class KeywordIndex:
    """BM25 scores for a query over every chunk, in `chunk_ids` order.

    `metadatas` (outlet, timestamp) lets filters mask the scores before ranking.
    `vectors` holds the chunks' embeddings in the same order, for exact dense search
    inside a filter (Chroma's filtered search is 5-15x slower at these sizes).
    `tokens` (saved, loaded only to update) spares an update re-reading and re-tokenizing every chunk.
    """

    def __init__(
        self,
        chunk_ids: list[str],
        metadatas: list[dict[str, Any]],
        retriever: object | None,
        vectors: np.ndarray | None = None,
        tokens: list[list[str]] | None = None,
    ) -> None:
        self.chunk_ids = chunk_ids
        self.metadatas = metadatas
        self._retriever = retriever
        self.vectors = vectors if vectors is not None else np.zeros((len(chunk_ids), 0), dtype=np.float32)
        self.tokens = tokens
        # the filter fields as arrays, so filtering is vectorised
        self.sources = np.array([m.get("source_lc", "") for m in metadatas], dtype=object)
        self.timestamps = np.array([m.get("published_ts", np.nan) for m in metadatas], dtype=np.float64)

    @classmethod
    def build(cls, rows: KeywordRows) -> KeywordIndex:
        import bm25s

        if not rows.ids:
            return cls([], [], None, tokens=[])
        retriever = bm25s.BM25()
        retriever.index(rows.tokens, show_progress=False)
        return cls(rows.ids, rows.metadatas, retriever, np.stack(rows.vectors), rows.tokens)

    def updated(self, removed: set[str], added: KeywordRows) -> KeywordIndex:
        """A new index over these chunks minus `removed`, plus `added` (BM25 statistics recomputed)."""
        if self.tokens is None:
            raise ValueError("this keyword index was loaded without its tokens")
        keep = [row for row, cid in enumerate(self.chunk_ids) if cid not in removed]
        rows = KeywordRows(
            [self.chunk_ids[row] for row in keep] + added.ids,
            [self.tokens[row] for row in keep] + added.tokens,
            [self.metadatas[row] for row in keep] + added.metadatas,
            list(self.vectors[keep]) + added.vectors,
        )
        return KeywordIndex.build(rows)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        chunks = {"tokenizer": TOKENIZER, "ids": self.chunk_ids, "metadatas": self.metadatas}
        (folder / "chunks.json").write_text(json.dumps(chunks))
        np.save(folder / "vectors.npy", self.vectors)
        if self.tokens is not None:  # tokens are words without spaces: one string a chunk
            (folder / "tokens.json").write_text(json.dumps([" ".join(tokens) for tokens in self.tokens]))
        if self._retriever is not None:
            self._retriever.save(str(folder), show_progress=False)  # type: ignore[attr-defined]

    @staticmethod
    def is_current(folder: Path) -> bool:
        """Whether `folder` holds a keyword index made by this tokenizer."""
        try:
            made_by = json.loads((folder / "chunks.json").read_text()).get("tokenizer")
            return made_by == TOKENIZER and (folder / "vectors.npy").is_file()
        except (OSError, ValueError):
            return False

    @staticmethod
    def can_update(folder: Path) -> bool:
        """Whether `folder` holds a current keyword index with its tokens (older ones lack them)."""
        return KeywordIndex.is_current(folder) and (folder / "tokens.json").is_file()

    @classmethod
    def load(cls, folder: Path, *, with_tokens: bool = False) -> KeywordIndex:
        import bm25s

        chunks = json.loads((folder / "chunks.json").read_text())
        if not chunks["ids"]:
            keyword = cls([], [], None)
        else:
            retriever = bm25s.BM25.load(str(folder), mmap=False, show_progress=False)
            vectors = np.load(folder / "vectors.npy", mmap_mode="r")  # paged in as searches touch it
            keyword = cls(chunks["ids"], chunks["metadatas"], retriever, vectors)
        if with_tokens:
            chunks_tokens = json.loads((folder / "tokens.json").read_text())
            keyword.tokens = [list(map(sys.intern, tokens.split())) for tokens in chunks_tokens]
        return keyword

    @cached_property
    def row_of(self) -> dict[str, int]:
        return {cid: row for row, cid in enumerate(self.chunk_ids)}

    def dense(self, query: np.ndarray, mask: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The `n` chunks most similar to `query` among those `mask` keeps: (row, cosine), best first."""
        rows = np.flatnonzero(mask)
        if not len(rows):
            return []
        similarity = self.vectors[rows] @ query
        return [(int(rows[i]), float(similarity[i])) for i in top_indices(similarity, n)]

    def knows(self, token: str) -> bool:
        """Whether some chunk holds this (tokenized) word."""
        return self._retriever is not None and token in self._retriever.vocab_dict  # type: ignore[attr-defined]

    def scores(self, query: str) -> np.ndarray:
        tokens = tokenize(query)
        if self._retriever is None or not tokens:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        vocab = self._retriever.vocab_dict  # type: ignore[attr-defined]
        known = [token for token in tokens if token in vocab]
        if not known:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)  # type: ignore[attr-defined]
