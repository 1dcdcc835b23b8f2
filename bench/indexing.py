"""Indexing the 609 MultiHop-RAG articles from scratch, next to its limit and to the LangChain baseline.

    python bench/indexing.py [--runs 1]

- ours: `assistant index build all_corpus.jsonl`, a whole process, into an empty index
  (chunks per second, wall time, peak RSS);
- limit: the embedding model alone, in this process, on the very same chunk texts;
- baseline: LangChain `Chroma.from_documents` over the same chunk texts with Chroma's default
  embedding function (all-MiniLM-L6-v2 on onnxruntime; its files supplied locally, from the same
  packages our embedder uses, since Chroma's own download needs the network).
Prints JSON, headline last.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from measure import BIN, DATA, emit, run, summary


def chunk_texts(corpus: Path) -> list[str]:
    from assistant.ingestion.chunking import chunk_article
    from assistant.ingestion.files import load_articles
    from assistant.records import Article
    from assistant.settings import Settings

    settings = Settings()
    return [
        chunk.text
        for article in load_articles([corpus])
        if isinstance(article, Article)
        for chunk in chunk_article(article, settings.chunk_size, settings.chunk_overlap)
    ]


def embed_alone(texts: list[str]) -> float:
    from assistant.backends.embeddings import LocalEmbedder
    from assistant.ingestion.indexer import EMBED_BATCH_CHUNKS

    embedder = LocalEmbedder()
    embedder.embed(texts[:8])  # load the model first: the build's figure includes loading, this one not
    started = time.perf_counter()
    for begin in range(0, len(texts), EMBED_BATCH_CHUNKS):
        embedder.embed(texts[begin : begin + EMBED_BATCH_CHUNKS])
    return time.perf_counter() - started


def chroma_default_embedding_function(folder: Path):  # type: ignore[no-untyped-def]
    """Chroma's own ONNX MiniLM embedding function, with its model files put where it looks."""
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    from assistant.backends.embeddings import minilm_files  # the same packaged MiniLM files

    model, tokenizer = minilm_files()
    files = folder / "onnx"
    files.mkdir(parents=True)
    shutil.copy(model, files / "model.onnx")
    shutil.copy(tokenizer, files / "tokenizer.json")
    for name in ("config.json", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"):
        (files / name).write_text("{}")  # checked for, not read
    function = ONNXMiniLM_L6_V2()
    function.DOWNLOAD_PATH = folder  # type: ignore[misc]
    return function


def langchain_baseline(texts: list[str], folder: Path) -> float:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document

    function = chroma_default_embedding_function(folder / "chroma-model")

    class Embeddings:  # LangChain's interface over Chroma's function
        def embed_documents(self, batch: list[str]) -> list[list[float]]:
            return [list(map(float, vector)) for vector in function(batch)]

        def embed_query(self, text: str) -> list[float]:
            return self.embed_documents([text])[0]

    Embeddings().embed_query("warm up")  # load the model first, as for the limit
    started = time.perf_counter()
    Chroma.from_documents(
        [Document(page_content=text) for text in texts], Embeddings(), persist_directory=str(folder / "baseline")
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=DATA / "all_corpus.jsonl")
    args = parser.parse_args()
    texts = chunk_texts(args.corpus)
    ours, limit, baseline = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for attempt in range(args.runs):
            index_dir = Path(folder) / f"index-{attempt}"
            build = run(
                [BIN / "assistant", "index", "build", args.corpus, "--json"], {"ASSISTANT_INDEX_DIR": str(index_dir)}
            )
            report = json.loads(build["stdout"])
            assert report["chunks"] == len(texts), (report["chunks"], len(texts))
            ours.append({"seconds": build["seconds"], "peak_rss_mb": build["peak_rss_mb"]})
            limit.append(embed_alone(texts))
            baseline.append(langchain_baseline(texts, Path(folder) / f"baseline-{attempt}"))
    chunks = len(texts)
    ours_rate = [chunks / r["seconds"] for r in ours]
    limit_rate = [chunks / s for s in limit]
    baseline_rate = [chunks / s for s in baseline]
    vs_limit = [ours / alone for ours, alone in zip(ours_rate, limit_rate, strict=True)]
    vs_baseline = [ours / base for ours, base in zip(ours_rate, baseline_rate, strict=True)]
    figures = {
        "articles": report["articles"],
        "chunks": chunks,
        "ours_wall_s": summary([r["seconds"] for r in ours], 1),
        "ours_chunks_per_s": summary(ours_rate, 1),
        "ours_peak_rss_mb": summary([r["peak_rss_mb"] for r in ours], 0),
        "embedding_alone_chunks_per_s": summary(limit_rate, 1),
        "langchain_baseline_chunks_per_s": summary(baseline_rate, 1),
        "ratio_vs_embedding_alone": summary(vs_limit, 2),
        "ratio_vs_langchain_baseline": summary(vs_baseline, 2),
    }
    emit(
        "indexing",
        figures,
        {
            "chunks_per_s": figures["ours_chunks_per_s"]["median"],
            "vs_embedding_alone": figures["ratio_vs_embedding_alone"]["median"],
            "vs_langchain_baseline": figures["ratio_vs_langchain_baseline"]["median"],
            "peak_rss_mb": figures["ours_peak_rss_mb"]["median"],
        },
    )


if __name__ == "__main__":
    main()
