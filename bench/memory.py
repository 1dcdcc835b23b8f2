"""Peak memory of reading a big JSONL corpus: it must stay flat, nothing loads the whole corpus.

    python bench/memory.py [--articles 100000]

Writes JSONL corpora of 10,000 and --articles articles (the 609 MultiHop-RAG articles
repeated under new ids), then reads and chunks each in a fresh process exactly as
`index build` does before embedding (`load_articles` + `chunk_article`), recording peak RSS.
(Embedding 100,000 articles would take hours on this machine; peak RSS while really
indexing the 609 articles is in bench/indexing.py.) Prints JSON, headline last.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from measure import DATA, emit, run

READ_AND_CHUNK = """
import sys
from pathlib import Path
from assistant.ingestion.chunking import chunk_article
from assistant.ingestion.files import load_articles
from assistant.records import Article
articles = chunks = 0
for item in load_articles([Path(sys.argv[1])]):
    if isinstance(item, Article):
        articles += 1
        chunks += len(chunk_article(item, 1000, 200))
print(articles, chunks)
"""


def corpus(path: Path, articles: int) -> int:
    records = [json.loads(line) for line in (DATA / "all_corpus.jsonl").read_text().splitlines()]
    with path.open("w") as out:
        for number in range(articles):
            record = records[number % len(records)]
            out.write(json.dumps({**record, "id": f"{number}", "url": f"{record.get('url')}#{number}"}) + "\n")
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        for count in (10_000, args.articles):
            path = Path(folder) / f"corpus-{count}.jsonl"
            size = corpus(path, count)
            result = run([sys.executable, "-c", READ_AND_CHUNK, path])
            read, chunks = map(int, result["stdout"].split())
            assert read == count
            figures[f"{count}_articles"] = {
                "file_mb": round(size / 1e6, 1),
                "chunks": chunks,
                "seconds": round(result["seconds"], 1),
                "peak_rss_mb": round(result["peak_rss_mb"]),
            }
    small, big = figures["10000_articles"], figures[f"{args.articles}_articles"]
    ratio = round(big["peak_rss_mb"] / small["peak_rss_mb"], 2)
    emit(
        "memory",
        figures | {"rss_ratio_big_vs_10000": ratio},
        {"peak_rss_mb_big": big["peak_rss_mb"], "file_mb_big": big["file_mb"], "rss_ratio_vs_10000": ratio},
    )


if __name__ == "__main__":
    main()
