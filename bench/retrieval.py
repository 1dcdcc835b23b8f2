"""Retrieval alone (no LLM): latency per question at 609 articles and at 100,000 chunks.

    python bench/retrieval.py [--chunks 100000] [--index DIR]

Indexes the 609 MultiHop-RAG articles (or uses --index), times `Assistant.retrieve` on
every dev question (p50, p95), then makes a synthetic index of --chunks chunks by repeating
those chunks (vectors slightly perturbed, so the vector index is not degenerate) and times
the same questions again. Prints JSON, headline last.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from measure import BIN, DATA, emit, percentile, run

from assistant.qa import Assistant
from assistant.settings import load_settings
from assistant.store import IndexDir, Manifest


def latencies(index_dir: Path, questions: list[str]) -> dict[str, float]:
    assistant = Assistant(load_settings(index_dir=index_dir))
    assistant.retrieve(questions[0])  # open the index and load the embedder first
    times = []
    for question in questions:
        started = time.perf_counter()
        assistant.retrieve(question)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(times, 0.5), 1), "p95_ms": round(percentile(times, 0.95), 1)}


def synthetic_index(source_dir: Path, target_dir: Path, chunks: int) -> int:
    """An index of `chunks` chunks: the source index's chunks repeated, vectors perturbed."""
    source = IndexDir(source_dir).open()
    manifest = source.manifest()
    stored = source.collection.get(include=["documents", "metadatas", "embeddings"])
    ids, texts, metadatas = stored["ids"], stored["documents"], stored["metadatas"]
    vectors = np.asarray(stored["embeddings"], dtype=np.float32)
    root = IndexDir(target_dir)
    with root.lock(timeout=10):
        index = root.new_generation()
        copy = Manifest(manifest.embedding_model, manifest.chunk_size, manifest.chunk_overlap, paths=[])
        rng = np.random.default_rng(0)
        made, round_number = 0, 0
        while made < chunks:
            take = min(len(ids), chunks - made)
            noisy = vectors[:take] + rng.normal(0, 0.01, vectors[:take].shape).astype(np.float32)
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            new_ids = [f"{cid}~{round_number}" for cid in ids[:take]]
            new_meta = [{**m, "doc_id": f"{m['doc_id']}~{round_number}"} for m in metadatas[:take]]
            index.add(new_ids, texts[:take], new_meta, noisy)
            for cid, meta in zip(new_ids, new_meta, strict=True):
                entry = copy.articles.setdefault(
                    meta["doc_id"], {"hash": "", "source": meta.get("source"), "chunks": []}
                )
                entry["chunks"].append(cid)
            made, round_number = made + take, round_number + 1
        index.rebuild_keyword_index()
        index.commit(copy)
        root.publish(index)
    return made


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
        started = time.perf_counter()
        made = synthetic_index(index_dir, Path(folder) / "big", args.chunks)
        build_s = round(time.perf_counter() - started, 1)
        big = latencies(Path(folder) / "big", questions)
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
