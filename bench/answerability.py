"""Before the first token: does the answerability judge tell a question its articles answer from one they do not?

(It does not well enough to refuse on: docs/judges.md. This is the measure a better judge must pass.)

    python bench/answerability.py [QUESTIONS] [--corpus FILE] [--skip N] [--limit N] [--threshold T ...]

Each answerable question is retrieved twice, as `assistant eval` does: with its gold articles,
and without them (their chunks dropped from the 20 retrieved, so what is left is on its topic
but lacks its answer); an unanswerable one once, as it is. The judge ranks what is left and
reads the best `top_k` passages, as before an answer: `judge_best` (its best sentence P) and
`judge_second` (the best of another article). No model writes anything: this is the refusal
before the first token alone.

Prints, as JSON: each signal's AUROC (with evidence against without), the share refused at
each threshold (with evidence: refused wrongly; without: refused rightly) and the judge's time
per question. Defaults: the 175 dev questions over the 609 articles; `--skip 90` gives the 85
held out from the confidence fit (docs/confidence.md), `--limit 90` the 90 it was fitted on.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from measure import DATA, emit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path, nargs="?", default=DATA / "dev_questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=DATA / "all_corpus.jsonl")
    parser.add_argument("--skip", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--threshold", type=float, nargs="*", default=[0.05, 0.1, 0.2, 0.3, 0.5])
    args = parser.parse_args()
    from assistant.answering.qa import Assistant
    from assistant.confidence import judged_signals
    from assistant.confidence.model import auroc
    from assistant.evaluation.harness import corpus_workspace
    from assistant.evaluation.pipelines import RETRIEVE_DEPTH
    from assistant.evaluation.questions import load_questions
    from assistant.ingestion.indexer import build_index
    from assistant.settings import load_settings

    settings = load_settings(answer_judge=True)
    settings = settings.model_copy(update={"index_dir": corpus_workspace(settings, args.corpus) / "index"})
    build_index([args.corpus], settings)
    assistant = Assistant(settings)
    judge = assistant.answer_judge
    assert judge is not None
    questions = load_questions(args.questions)[args.skip :]
    questions = questions[: args.limit] if args.limit else questions

    rows, seconds = [], []
    for question in questions:
        found = assistant.candidates(question.question, top_k=RETRIEVE_DEPTH)
        for without_gold in (False, True) if question.answerable else (True,):
            passages = [p for p in found if not without_gold or p.chunk.doc_id not in set(question.gold_doc_ids)]
            started = time.perf_counter()
            shown = assistant.rerank(question.question, passages)
            seconds.append(time.perf_counter() - started)
            rows.append({"id": question.id, "evidence": not without_gold, **judged_signals(shown)})

    card = judge.encoder.card.threshold
    report: dict = {"questions": len(questions), "judged": len(rows), "card_threshold": card}
    for signal in ("judge_best", "judge_second"):
        report[f"auroc_{signal}"] = auroc([r.get(signal, 0.0) for r in rows], [r["evidence"] for r in rows])
    for threshold in sorted({*args.threshold, card}):
        refused = [r.get("judge_best", 0.0) < threshold for r in rows]
        with_evidence = [x for x, r in zip(refused, rows, strict=True) if r["evidence"]]
        without = [x for x, r in zip(refused, rows, strict=True) if not r["evidence"]]
        report[f"refused_at_{threshold}"] = {
            "with_evidence": round(sum(with_evidence) / max(len(with_evidence), 1), 3),
            "without_evidence": round(sum(without) / max(len(without), 1), 3),
        }
    report["judge_s"] = {"median": round(statistics.median(seconds), 3), "max": round(max(seconds), 3)}
    at = report[f"refused_at_{card}"]
    emit("answerability", report, {"auroc_judge_best": report["auroc_judge_best"],
                                   "refused_with_evidence": at["with_evidence"],
                                   "refused_without_evidence": at["without_evidence"],
                                   "median_judge_s": report["judge_s"]["median"]})  # fmt: skip


if __name__ == "__main__":
    main()
