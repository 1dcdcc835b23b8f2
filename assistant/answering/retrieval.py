"""Hybrid retrieval: dense (Chroma) and BM25 rankings fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import numpy as np

from assistant.answering.mentions import mentioned_dates, mentioned_sources
from assistant.backends.embeddings import Embedder
from assistant.errors import InputError
from assistant.records import Passage
from assistant.store import Index
from assistant.store.bm25 import top_indices
from assistant.text import parse_date, to_timestamp

# Reciprocal rank fusion: a chunk scores weight / (RRF_K + rank) in each ranking. Tuned on the
# MultiHop-RAG dev questions and checked on 780 others (README, lever table): a small constant
# (top ranks count more than Cormack et al.'s 60), keywords over vectors, and the searches an
# outlet or date of the question narrows over the whole-index ones.
RRF_K = 10
KEYWORD_WEIGHT = 1.4
FOCUSED_WEIGHT = 2.0
CANDIDATES = 50  # taken from each ranking before fusion
_WORKERS = ThreadPoolExecutor(
    max_workers=2, thread_name_prefix="retrieval"
)  # BM25 and vector searches (numpy, Chroma: no GIL)


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some outlets and a date range (inclusive)."""

    sources: tuple[str, ...] = ()
    since: str | None = None  # ISO date
    until: str | None = None

    @classmethod
    def parse(cls, sources: list[str] | None = None, since: str | None = None, until: str | None = None) -> Filters:
        return cls(tuple(sources or ()), _date_option("since", since), _date_option("until", until, end=True))

    @property
    def narrows(self) -> bool:
        return bool(self.sources or self.since or self.until)

    def rows(self, index: Index) -> np.ndarray:
        """The live rows of the index that pass the filters, in order (an outlet's rows are read as slices)."""
        if self.sources:
            rows = index.outlet_rows({s.lower() for s in self.sources})
        else:
            rows = np.arange(len(index.alive))
        keep = index.alive[rows]
        if self.since or self.until:
            stamps = index.timestamps[rows]
            with np.errstate(invalid="ignore"):  # a missing date (NaN) passes no date filter
                if self.since:
                    keep &= stamps >= to_timestamp(self.since)
                if self.until:
                    keep &= stamps <= to_timestamp(self.until)
        return rows[keep]


def _date_option(name: str, value: str | None, end: bool = False) -> str | None:
    if not value:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise InputError(f"{name}: not a date: {value!r} (use YYYY-MM-DD)")
    if end and len(value.strip()) <= 10:  # a bare date: include that whole day
        parsed = parsed[:10] + "T23:59:59"
    return parsed


def retrieve(
    question: str,
    index: Index,
    embedder: Embedder,
    top_k: int,
    filters: Filters | None = None,
    min_similarity: float = 0.0,
) -> list[Passage]:
    """The `top_k` passages most relevant to `question`, best first.

    Passages whose cosine similarity to the question is below `min_similarity`
    are dropped: an empty result means the index holds nothing relevant.
    """
    filters = filters or Filters()
    if not index.alive.any():
        return []
    _one_blas_thread()
    focuses = plan_searches(question, filters, index.sources)
    selections = [focus.rows(index) if focus.narrows else None for focus in focuses]
    keyword = _WORKERS.submit(_keyword_rankings, index, question, selections)  # on the other core, meanwhile
    query = embedder.embed([question])[0]
    searches = [_WORKERS.submit(_dense, index, query, rows) for rows in selections]
    similarity: dict[int, float] = {}
    keyword_score: dict[int, float] = {}
    rankings: list[tuple[float, list[int]]] = []
    for focus, search, found in zip(focuses, searches, keyword.result(), strict=True):
        dense = search.result()
        weight = FOCUSED_WEIGHT if focus.narrows else 1.0
        rankings.append((weight, [row for row, _ in dense]))
        similarity |= dict(dense)
        rankings.append((weight * KEYWORD_WEIGHT, [row for row, _ in found]))
        keyword_score |= dict(found)

    fused: dict[int, float] = {}
    for weight, ranking in rankings:
        for rank, row in enumerate(ranking):
            fused[row] = fused.get(row, 0.0) + weight / (RRF_K + rank + 1)
    ranked = sorted(fused, key=lambda row: -fused[row])
    if not ranked:
        return []

    shortlist = ranked[: top_k * 4]  # room for those that fall under `min_similarity`
    passages: list[Passage] = []
    stored = index.fetch(shortlist)
    for row in shortlist:
        if row not in stored:
            continue
        cid, text, metadata = stored[row]
        cosine = similarity.get(row)
        if cosine is None:  # found by keywords only
            cosine = float(index.vector(row) @ query)
        if cosine < min_similarity:
            continue
        bm25 = keyword_score.get(row)
        passages.append(
            Passage.from_stored(
                cid,
                text,
                metadata,
                score=round(fused[row], 6),
                similarity=round(cosine, 4),
                keyword_score=None if bm25 is None else round(bm25, 4),
            )
        )
        if len(passages) == top_k:
            break
    return passages


@cache
def _one_blas_thread() -> None:
    """Keep numpy's BLAS on one thread, for the whole process: the searches already run in parallel, and
    OpenBLAS's idle threads spin after each product, taking the core the question's embedding and BM25
    need (at 1M chunks: retrieval p50 81 -> 44 ms)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def _keyword_rankings(
    index: Index, question: str, selections: list[np.ndarray | None]
) -> list[list[tuple[int, float]]]:
    """For each search (its rows, or None for all), the best CANDIDATES rows by BM25 that hold a word: (row, score)."""
    scores = index.keyword_scores(question)
    rankings = []
    for rows in selections:
        found = top_indices(scores, CANDIDATES) if rows is None else rows[top_indices(scores[rows], CANDIDATES)]
        rankings.append([(int(row), float(scores[row])) for row in found if scores[row] > 0])
    return rankings


def _dense(index: Index, query: np.ndarray, rows: np.ndarray | None) -> list[tuple[int, float]]:
    """The whole index through Chroma's vector indexes, or a filtered subset by exact search over its rows."""
    return index.dense(query, CANDIDATES) if rows is None else index.exact_dense(query, rows, CANDIDATES)


def plan_searches(question: str, filters: Filters, sources: Iterable[str]) -> list[Filters]:
    """The searches to fuse: the whole index, then one per outlet and per date the question names.

    A multi-hop question such as "... according to Fortune, and ... as reported by
    The Age?" needs evidence from each outlet: searching each one on its own keeps
    big outlets from crowding out the others. (Searching an outlet with only the
    clause around its name, or pairing outlets with dates, measured no better.)
    """
    plans = [filters]
    allowed = {s.lower() for s in filters.sources}
    mentions = mentioned_sources(question, sources)
    for source in dict.fromkeys(source for source, _, _ in mentions):
        if not allowed or source.lower() in allowed:
            plans.append(Filters((source,), filters.since, filters.until))
    if not (filters.since or filters.until):
        for day in mentioned_dates(question):
            plans.append(Filters(filters.sources, f"{day - _DAY:%Y-%m-%d}", f"{day + _DAY:%Y-%m-%d}T23:59:59"))
    return plans


_DAY = timedelta(days=1)  # publication dates in a question may be a day off in UTC
