"""Incremental `assistant index build` over the 609 MultiHop-RAG articles, as whole processes.

    python bench/incremental.py [--runs 3]

Builds the index once, then times `assistant index build` with nothing changed and with
one article of the 609 changed (a different article each run). Prints JSON, headline last.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from measure import BIN, DATA, emit, run, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lines = (DATA / "all_corpus.jsonl").read_text().splitlines()
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus.jsonl"
        corpus.write_text("\n".join(lines) + "\n")
        env = {"ASSISTANT_INDEX_DIR": str(Path(folder) / "index")}
        build = [BIN / "assistant", "index", "build", corpus, "--json"]
        run(build, env)
        unchanged, changed = [], []
        for attempt in range(args.runs):
            result = run(build, env)
            assert json.loads(result["stdout"])["unchanged"] == len(lines)
            unchanged.append(result["seconds"])
            record = json.loads(lines[attempt])
            record["body"] += f"\n\nA correction appended to this article, number {attempt}."
            lines[attempt] = json.dumps(record)
            corpus.write_text("\n".join(lines) + "\n")
            result = run(build, env)
            report = json.loads(result["stdout"])
            assert (report["updated"], report["unchanged"]) == (1, len(lines) - 1), report
            changed.append(result["seconds"])
    figures = {"articles": len(lines), "nothing_changed_s": summary(unchanged), "one_changed_s": summary(changed)}
    emit(
        "incremental",
        figures,
        {
            "one_changed_s": figures["one_changed_s"]["median"],
            "nothing_changed_s": figures["nothing_changed_s"]["median"],
        },
    )


if __name__ == "__main__":
    main()
