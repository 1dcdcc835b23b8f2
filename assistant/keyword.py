"""BM25 keyword index over the chunks (bm25s), saved beside the vector store."""

from __future__ import annotations

import json
import re
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np

FILTER_KEYS = ("source_lc", "published_ts")
TOKENIZER = "words-stopwords-snowball-en"  # saved with the index: another tokenizer means rebuild it
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed words of two or more characters, English stop words removed."""
    stop = _stopwords()
    return _stemmer().stemWords([token for token in _TOKEN.findall(text.lower()) if token not in stop])


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


class KeywordIndex:
    """BM25 scores for a query over every chunk, in `chunk_ids` order.

    `metadatas` (outlet, timestamp) lets filters mask the scores before ranking.
    `vectors` holds the chunks' embeddings in the same order, for exact dense search
    inside a filter (Chroma's filtered search is 5-15x slower at these sizes).
    """

    def __init__(
        self,
        chunk_ids: list[str],
        metadatas: list[dict[str, Any]],
        retriever: object | None,
        vectors: np.ndarray | None = None,
    ) -> None:
        self.chunk_ids = chunk_ids
        self.metadatas = metadatas
        self._retriever = retriever
        self.vectors = vectors if vectors is not None else np.zeros((len(chunk_ids), 0), dtype=np.float32)
        # the filter fields as arrays, so filtering is vectorised
        self.sources = np.array([m.get("source_lc", "") for m in metadatas], dtype=object)
        self.timestamps = np.array([m.get("published_ts", np.nan) for m in metadatas], dtype=np.float64)

    @classmethod
    def build(
        cls, chunk_ids: list[str], texts: list[str], metadatas: list[dict[str, Any]], vectors: np.ndarray
    ) -> KeywordIndex:
        import bm25s

        light = [{key: m[key] for key in FILTER_KEYS if key in m} for m in metadatas]
        if not chunk_ids:
            return cls([], [], None)
        retriever = bm25s.BM25()
        retriever.index([tokenize(text) for text in texts], show_progress=False)
        return cls(chunk_ids, light, retriever, np.asarray(vectors, dtype=np.float32))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        chunks = {"tokenizer": TOKENIZER, "ids": self.chunk_ids, "metadatas": self.metadatas}
        (folder / "chunks.json").write_text(json.dumps(chunks))
        np.save(folder / "vectors.npy", self.vectors)
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

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        import bm25s

        chunks = json.loads((folder / "chunks.json").read_text())
        if not chunks["ids"]:
            return cls([], [], None)
        retriever = bm25s.BM25.load(str(folder), mmap=False, show_progress=False)
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")  # paged in as searches touch it
        return cls(chunks["ids"], chunks["metadatas"], retriever, vectors)

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

    def scores(self, query: str) -> np.ndarray:
        tokens = tokenize(query)
        if self._retriever is None or not tokens:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        vocab = self._retriever.vocab_dict  # type: ignore[attr-defined]
        known = [token for token in tokens if token in vocab]
        if not known:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)  # type: ignore[attr-defined]
