"""Retrieval alone (no LLM): latency per question at 609 articles and at 100,000 chunks.

    python bench/retrieval.py [--chunks 100000] [--index DIR]

Indexes the 609 MultiHop-RAG articles (or uses --index), times `Assistant.retrieve` on
every dev question (p50, p95), then makes a synthetic index of about --chunks chunks by copying
those articles (`bench/scale.py`: new ids, vectors slightly perturbed, so the vector index is not
degenerate) and times the same questions again. Prints JSON, headline last.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from measure import BIN, DATA, emit, percentile, run
from scale import source_rows, synthetic_index

from assistant.answering.qa import Assistant
from assistant.settings import load_settings
from assistant.store.chroma import EmbeddedChroma


def latencies(index_dir: Path, questions: list[str]) -> dict[str, float]:
    assistant = Assistant(load_settings(index_dir=index_dir))
    assistant.retrieve(questions[0])  # open the index and load the embedder first
    times = []
    for question in questions:
        started = time.perf_counter()
        assistant.retrieve(question)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(times, 0.5), 1), "p95_ms": round(percentile(times, 0.95), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--index", type=Path, help="an existing index of all_corpus.jsonl")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in (DATA / "dev_questions.jsonl").read_text().splitlines()]
    with tempfile.TemporaryDirectory() as folder:
        index_dir = args.index
        if index_dir is None:
            index_dir = Path(folder) / "index"
            run(
                [BIN / "assistant", "index", "build", DATA / "all_corpus.jsonl"],
                {"ASSISTANT_INDEX_DIR": str(index_dir)},
            )
        small = latencies(index_dir, questions)
        rows = source_rows(index_dir)
        started = time.perf_counter()
        made = synthetic_index(
            rows, Path(folder) / "big", max(1, round(args.chunks / len(rows["ids"]))), EmbeddedChroma()
        )
        build_s = round(time.perf_counter() - started, 1)
        big = latencies(Path(folder) / "big" / "index", questions)
    figures = {
        "questions": len(questions),
        "at_609_articles": small,
        f"at_{made}_chunks": big | {"synthetic_index_build_s": build_s},
    }
    emit(
        "retrieval",
        figures,
        {"p50_ms_609": small["p50_ms"], "p95_ms_609": small["p95_ms"], f"p50_ms_{made}": big["p50_ms"]},
    )


if __name__ == "__main__":
    main()
