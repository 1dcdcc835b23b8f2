"""The index at scale: a one-article build, retrieval latency, memory and disk at 100k, 300k and 1M chunks.

    python bench/scale.py [--chunks 100000 300000 1000000] [--stores embedded server] [--index DIR]
                          [--work DIR [--keep]]

Synthetic but realistic: the 609 MultiHop-RAG articles copied with new ids (article ID of copy r is
"ID~r", one JSONL file per copy), their chunks' vectors perturbed (noise 0.01, normalised) so the vector
index is not degenerate. The base index is written directly as one segment, embedding skipped (it would
only measure the model), with the files it came from recorded as a build records them, so that
`assistant index build` then works on it as on an index it built itself. For each store (the embedded
Chroma, or a `chroma run` server started here) and size, measured:
- `assistant index build` after one article of one file changed, as a whole process: seconds, peak RSS,
  bytes written (files created or changed in the index folder and the server's data folder); 3 runs;
- retrieval p50 / p95 over the 175 dev questions, in-process after a warm-up;
- `assistant search` as a whole process (a reader): peak RSS;
- disk per chunk (index folder + server data).
Prints JSON, headline last.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from measure import BIN, DATA, emit, percentile, run, summary

from assistant.answering.qa import Assistant
from assistant.ingestion.files import load_articles
from assistant.ingestion.indexer import article_hash
from assistant.records import Article
from assistant.settings import load_settings
from assistant.store import IndexDir, Manifest
from assistant.store import segment as segment_module
from assistant.store.chroma import ChromaServer as ChromaServerStore
from assistant.store.chroma import ChunkStore, EmbeddedChroma

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from chroma_server import ChromaServer  # noqa: E402

QUESTIONS = [json.loads(line)["question"] for line in (DATA / "dev_questions.jsonl").read_text().splitlines()]


def source_rows(index_dir: Path) -> dict[str, Any]:
    """Every chunk of an index of all_corpus.jsonl: ids, texts, metadata, vectors."""
    index = IndexDir(index_dir).open()
    rows: dict[str, Any] = {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
    for segment in index.segments:
        for batch in segment.chunks(np.arange(len(segment))):
            for key in rows:
                rows[key].extend(batch[key])
    rows["embeddings"] = np.asarray(rows["embeddings"], dtype=np.float32)
    rows["manifest"] = index.manifest()
    return rows


def synthetic_index(rows: dict[str, Any], target: Path, copies: int, store: ChunkStore) -> int:
    """An index of `copies` copies of the corpus under target/index, its files under target/corpus."""
    source: Manifest = rows["manifest"]
    articles = [a for a in load_articles([DATA / "all_corpus.jsonl"]) if isinstance(a, Article)]
    records = {
        json.loads(line)["id"]: json.loads(line) for line in (DATA / "all_corpus.jsonl").read_text().splitlines()
    }
    corpus = target / "corpus"
    corpus.mkdir(parents=True)
    root = IndexDir(target / "index", store)
    manifest = Manifest(
        source.embedding_model, source.chunk_size, source.chunk_overlap, store=store.name, paths=[str(corpus)]
    )
    original_tokenize = segment_module.tokenize
    cached = lru_cache(maxsize=None)(lambda text: tuple(original_tokenize(text)))
    segment_module.tokenize = lambda text: list(cached(text))  # the same texts, copied: tokenize each once
    rng = np.random.default_rng(0)
    try:
        with root.lock(timeout=10):
            writer = root.new_segment(manifest.uid)
            for copy in range(copies):
                renamed = [a.model_copy(update={"doc_id": f"{a.doc_id}~{copy}"}) for a in articles]
                for article in renamed:
                    entry = {"doc_id": article.doc_id, "hash": article_hash(article, manifest), "path": ""}
                    writer.add_article(
                        entry | {k: getattr(article, k) for k in ("title", "source", "published_at", "url")}
                    )
                vectors = rows["embeddings"] + rng.normal(0, 0.01, rows["embeddings"].shape).astype(np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                writer.add(
                    [f"{cid}~{copy}" for cid in rows["ids"]],
                    rows["documents"],
                    [{**m, "doc_id": f"{m['doc_id']}~{copy}"} for m in rows["metadatas"]],
                    vectors,
                )
                path = corpus / f"copy-{copy:04d}.jsonl"
                path.write_text(
                    "".join(json.dumps(records[a.doc_id] | {"id": f"{a.doc_id}~{copy}"}) + "\n" for a in articles)
                )
                stat = path.stat()
                manifest.files[str(path)] = {
                    "size": stat.st_size,
                    "mtime_ns": stat.st_mtime_ns,
                    "doc_ids": [a.doc_id for a in renamed],
                }
            segment = writer.finish()
            manifest.segments = [{"name": segment.name, "deleted": []}]
            root.publish(manifest)
    finally:
        segment_module.tokenize = original_tokenize
    return len(rows["ids"]) * copies


def disk_bytes(folders: list[Path]) -> int:
    return sum(p.stat().st_size for f in folders for p in f.rglob("*") if p.is_file())


def io_written(pid: int | None) -> int:
    """Bytes a running process has sent to storage so far (0 without one)."""
    if pid is None:
        return 0
    return int(dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())["write_bytes"])


def one_article_builds(target: Path, env: dict[str, str], server_pid: int | None, runs: int) -> dict[str, Any]:
    """`assistant index build` after one article changed: seconds, peak RSS, bytes written by it and the server."""
    seconds, rss, bytes_written, new_files = [], [], [], []
    files = sorted((target / "corpus").glob("copy-*.jsonl"))
    for attempt in range(runs):
        path = files[attempt % len(files)]
        lines = path.read_text().splitlines()
        record = json.loads(lines[attempt])
        record["body"] += f"\n\nA correction appended to this article, number {attempt}."
        lines[attempt] = json.dumps(record)
        path.write_text("\n".join(lines) + "\n")
        server_before = io_written(server_pid)
        files_before = disk_bytes([target / "index"])
        result = run([BIN / "assistant", "index", "build", "--json"], env)
        report = json.loads(result["stdout"])
        assert report["updated"] == 1 and report["added"] == report["removed"] == 0, report
        seconds.append(result["seconds"])
        rss.append(result["peak_rss_mb"])
        time.sleep(1)  # let the server finish what the request started
        bytes_written.append(result["written_bytes"] + io_written(server_pid) - server_before)
        new_files.append(disk_bytes([target / "index"]) - files_before)
    return {
        "seconds": summary(seconds, 2),
        "peak_rss_mb": summary(rss, 0),
        "bytes_written": summary(bytes_written, 0),  # by the build process and the server, to storage
        "index_folder_growth_bytes": summary(new_files, 0),
        "merged": report["segments_merged"],
    }


def retrieval(env: dict[str, str]) -> dict[str, float]:
    settings = load_settings(**{k.removeprefix("ASSISTANT_").lower(): v for k, v in env.items()})
    assistant = Assistant(settings)
    started = time.perf_counter()
    assistant.retrieve(QUESTIONS[0])
    first = time.perf_counter() - started
    times = []
    for question in QUESTIONS:
        started = time.perf_counter()
        assistant.retrieve(question)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "first_s": round(first, 2),
        "p50_ms": round(percentile(times, 0.5), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
    }


def measure(
    rows: dict[str, Any], folder: Path, store_kind: str, chunks: int, keep: bool, setup_only: bool = False
) -> dict[str, Any]:
    target = folder / f"{store_kind}-{chunks}"
    made_file = target / "made.json"  # a kept synthetic index: its size and how long it took to write
    if not made_file.exists():
        shutil.rmtree(target, ignore_errors=True)
    server = ChromaServer(target / "chroma-data") if store_kind == "server" else None
    if server and made_file.exists():  # a kept index names its server's URL: start it there again
        generation = target / "index" / (target / "index" / "CURRENT").read_text().strip()
        server.url = json.loads(generation.read_text())["store"]
        server.port = int(server.url.rsplit(":", 1)[1])
    if server:
        server.start()
    try:
        store: ChunkStore = ChromaServerStore(server.url) if server else EmbeddedChroma()
        copies = max(1, round(chunks / len(rows["ids"])))
        if not made_file.exists():
            started = time.perf_counter()
            made = synthetic_index(rows, target, copies, store)
            made_file.write_text(json.dumps({"chunks": made, "setup_s": time.perf_counter() - started}))
        made, setup_s = json.loads(made_file.read_text()).values()
        if setup_only:
            return {"chunks": made, "synthetic_setup_s": round(setup_s, 1)}
        env = {"ASSISTANT_INDEX_DIR": str(target / "index")} | ({"ASSISTANT_CHROMA_URL": server.url} if server else {})
        disk = disk_bytes([target / "index"] + ([target / "chroma-data"] if server else []))
        figures = {
            "chunks": made,
            "articles": copies * 609,
            "synthetic_setup_s": round(setup_s, 1),
            "disk_bytes_per_chunk": round(disk / made),
            "disk_gb": round(disk / 1e9, 2),
            "one_article_build": one_article_builds(target, env, server.process.pid if server else None, runs=3),
            "retrieval": retrieval(env),
            "reader_search_peak_rss_mb": round(
                run([BIN / "assistant", "search", QUESTIONS[1], "--json"], env)["peak_rss_mb"]
            ),
        }
        if server:  # the Chroma server's own peak, after all of the above
            status = Path(f"/proc/{server.process.pid}/status").read_text()
            figures["server_peak_rss_mb"] = round(int(status.split("VmHWM:")[1].split()[0]) / 1024)
    finally:
        if server:
            server.stop()
        if not keep:
            shutil.rmtree(target, ignore_errors=True)
    print(json.dumps({store_kind: figures}), file=sys.stderr, flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--stores", nargs="+", default=["embedded", "server"], choices=["embedded", "server"])
    parser.add_argument("--index", type=Path, help="an existing index of all_corpus.jsonl")
    parser.add_argument("--work", type=Path, help="where to build (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic indexes in --work, and reuse them")
    parser.add_argument(
        "--setup-only", action="store_true", help="with --keep: write the synthetic indexes, measure nothing"
    )
    args = parser.parse_args()
    if args.keep and not args.work:
        parser.error("--keep needs --work")
    with tempfile.TemporaryDirectory(dir=args.work) as scratch:
        folder = args.work if args.keep else Path(scratch)
        index_dir = args.index
        if index_dir is None:
            index_dir = folder / "source"
            run(
                [BIN / "assistant", "index", "build", DATA / "all_corpus.jsonl"],
                {"ASSISTANT_INDEX_DIR": str(index_dir)},
            )
        rows = source_rows(index_dir)
        figures = {
            kind: {str(n): measure(rows, folder, kind, n, args.keep, args.setup_only) for n in args.chunks}
            for kind in args.stores
        }
        if args.setup_only:
            print(json.dumps(figures))
            return
    headline = {
        f"{kind}_{n}": {
            "build_s": f["one_article_build"]["seconds"]["median"],
            "p50_ms": f["retrieval"]["p50_ms"],
            "p95_ms": f["retrieval"]["p95_ms"],
            "writer_mb": f["one_article_build"]["peak_rss_mb"]["median"],
            "reader_mb": f["reader_search_peak_rss_mb"],
        }
        for kind, sizes in figures.items()
        for n, f in sizes.items()
    }
    emit("scale", {"source_chunks": len(rows["ids"]), **figures}, headline)


if __name__ == "__main__":
    main()
