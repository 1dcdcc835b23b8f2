"""MultiHop-RAG benchmark: ours vs the plain LangChain pipeline, on the whole 609-article corpus.

    python bench/multihop_rag.py                      # retrieval on all dev questions + answers on the first 40
    python bench/multihop_rag.py --answers 175        # answers on every dev question (slow: ~15 s a question each)
    python bench/multihop_rag.py --answers 0          # retrieval only
    python bench/multihop_rag.py --answers 175 --judge   # ... and the LLM judges every answer too

Reads ../shared/eval/multihop-rag/ (never copied into the repository), writes the reports
(JSON, Markdown, PNG) to bench/results/, and prints the headline figures as JSON, last.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from assistant.evaluation import report as reports
from assistant.evaluation.harness import evaluate
from assistant.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "eval" / "multihop-rag"


def headline(report: dict, keys: list[str]) -> dict:
    figures = {}
    for name, pipeline in report["pipelines"].items():
        overall = pipeline["summary"]["overall"]
        figures[name] = {key: overall.get(key) for key in keys} | {"chunk_size": pipeline["chunk_size"]}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--answers", type=int, default=40, help="questions answered by the LLM (0: none)")
    parser.add_argument("--judge", action="store_true", help="also have the LLM grade each answer")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    corpus, questions = args.data / "all_corpus.jsonl", args.data / "dev_questions.jsonl"
    settings = load_settings()
    started = time.perf_counter()

    retrieval = evaluate(questions, settings, corpus, retrieval_only=True, baseline=True)
    reports.write(retrieval, args.out / "multihop-retrieval.json")
    result = {"retrieval": headline(retrieval, reports.RETRIEVAL_HEADLINE), "questions": retrieval["questions"]}
    if args.answers:
        answers = evaluate(questions, settings, corpus, limit=args.answers, baseline=True, judge=args.judge)
        reports.write(answers, args.out / "multihop-answers.json")
        result["answers"] = headline(answers, reports.ANSWER_HEADLINE) | {"questions": answers["questions"]}
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
