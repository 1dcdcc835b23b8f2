"""Where a retrieval's time goes: each part's start and end inside `retrieve`, as medians.

    python bench/retrieval_parts.py --index DIR [--questions N]

Times every dev question (after one to warm up) on an existing index, e.g. one of
`bench/scale.py --keep`'s. The parts are wrapped with timers, the code is not changed:
embedding the question, BM25 (on a worker thread), each dense search (Chroma's, rescored, or exact
over a filtered subset), and reading the passages. Parts that overlap ran on the two cores
at once; one that takes longer here than alone (e.g. BM25 beside the embedding) is
competing for a core. Prints JSON, headline last.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from measure import DATA, emit

from assistant.answering import retrieval
from assistant.answering.qa import Assistant
from assistant.settings import load_settings
from assistant.store.index import Index

_spans: list[tuple[str, float, float]] = []  # (part, start, end), perf_counter seconds
_lock = threading.Lock()


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            with _lock:
                _spans.append((name, started, time.perf_counter()))

    return wrapper


def instrument(assistant: Assistant) -> None:
    embedder = assistant.embedder
    embedder.embed = timed("embedding", embedder.embed)  # type: ignore[method-assign]
    retrieval._keyword_rankings = timed("bm25", retrieval._keyword_rankings)
    Index.dense = timed("chroma_search", Index.dense)  # type: ignore[method-assign]
    Index.exact_dense = timed("filtered_search", Index.exact_dense)  # type: ignore[method-assign]
    Index.fetch = timed("passages", Index.fetch)  # type: ignore[method-assign]


def timeline(assistant: Assistant, questions: list[str]) -> dict[str, Any]:
    assistant.retrieve(questions[0])  # open the index and load the embedder first
    starts: dict[str, list[float]] = defaultdict(list)
    ends: dict[str, list[float]] = defaultdict(list)
    durations: dict[str, list[float]] = defaultdict(list)
    totals = []
    for question in questions:
        _spans.clear()
        started = time.perf_counter()
        assistant.retrieve(question)
        totals.append((time.perf_counter() - started) * 1000)
        for name, start, end in _spans:
            starts[name].append((start - started) * 1000)
            ends[name].append((end - started) * 1000)
            durations[name].append((end - start) * 1000)
    parts = {
        name: {
            "start_ms": round(statistics.median(starts[name]), 1),
            "end_ms": round(statistics.median(ends[name]), 1),
            "took_ms": round(statistics.median(durations[name]), 1),
            "calls_per_question": round(len(durations[name]) / len(questions), 2),
        }
        for name in sorted(starts, key=lambda name: statistics.median(starts[name]))
    }
    return {"questions": len(questions), "total_p50_ms": round(statistics.median(totals), 1), "parts": parts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, required=True, help="an existing index")
    parser.add_argument("--questions", type=int, default=175)
    args = parser.parse_args()
    lines = (DATA / "dev_questions.jsonl").read_text().splitlines()
    questions = [json.loads(line)["question"] for line in lines][: args.questions]
    assistant = Assistant(load_settings(index_dir=args.index))
    instrument(assistant)
    figures = timeline(assistant, questions)
    headline = {"total_p50_ms": figures["total_p50_ms"]} | {
        f"{name}_ms": part["took_ms"] for name, part in figures["parts"].items()
    }
    emit("retrieval_parts", figures, headline)


if __name__ == "__main__":
    main()
