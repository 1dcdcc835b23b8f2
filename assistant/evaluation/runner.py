"""Run questions through a pipeline and score every one; then summarise overall and per type."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from assistant.answering.citations import claims
from assistant.answering.markers import parse_markers
from assistant.confidence.model import auroc
from assistant.evaluation.judge import Judge
from assistant.evaluation.metrics import (
    answer_correct,
    article_scores,
    attributed,
    is_label,
    quote_matches_fact,
    retrieval_scores,
    squash,
)
from assistant.evaluation.pipelines import CachedChatModel, Pipeline
from assistant.evaluation.questions import Question

Record = dict[str, Any]


def run(
    pipeline: Pipeline,
    questions: list[Question],
    retrieval_only: bool = False,
    on_done: Callable[[], None] | None = None,
    judge: Judge | None = None,
    without_gold: bool = False,
) -> list[Record]:
    records = []
    for question in questions:
        records.append(evaluate_one(pipeline, question, retrieval_only, judge, without_gold))
        if on_done:
            on_done()
    return records


def evaluate_one(
    pipeline: Pipeline,
    question: Question,
    retrieval_only: bool,
    judge: Judge | None = None,
    without_gold: bool = False,
) -> Record:
    started = time.perf_counter()
    passages = pipeline.retrieve(question.question)
    if without_gold:  # as if the index lacked the question's gold articles
        passages = [p for p in passages if p.chunk.doc_id not in set(question.gold_doc_ids)]
    retrieval_s = time.perf_counter() - started
    facts = [e.fact for e in question.evidence]
    record: Record = {
        "id": question.id,
        "question": question.question,
        "question_type": question.question_type,
        "kind": question.kind,
        "answerable": question.answerable,
        "gold_answer": question.answer,
        "retrieved": [{"chunk_id": p.chunk.chunk_id, "doc_id": p.chunk.doc_id} for p in passages],
        "retrieval_s": round(retrieval_s, 4),
    }
    if without_gold:
        record["without_gold"] = True
    elif question.answerable and facts:
        record["retrieval"] = retrieval_scores([p.chunk.text for p in passages], facts) | article_scores(
            [p.chunk.doc_id for p in passages], question.gold_doc_ids
        )
    if retrieval_only:
        return record

    answer = pipeline.answer(question.question, passages)
    model = pipeline.chat_model
    cached = isinstance(model, CachedChatModel) and model.hit
    shown = {r.n: r for r in answer.retrieved if r.n is not None}
    cited = [shown[c.n] for c in answer.citations if c.n in shown]
    gold_docs = set(question.gold_doc_ids)
    text_of = {p.chunk.chunk_id: squash(p.chunk.text) for p in passages}
    squashed_facts = [squash(f) for f in facts]
    record |= {
        "answer": answer.answer,
        "refused": answer.refused,
        "correct": None
        if not question.answerable
        else (not answer.refused and answer_correct(answer.answer, question.answer or "", question.kind)),
        "markers_valid": set(parse_markers(answer.answer)) <= set(shown),
        "removed_markers": answer.removed_markers,
        "cited_relevant": [
            r.doc_id in gold_docs or any(f in text_of.get(r.chunk_id, "") for f in squashed_facts) for r in cited
        ],
        "uncited_sentences": answer.uncited_sentences,
        "corrected_markers": answer.corrected_markers,
        "unsupported_sentences": answer.unsupported_sentences,
        "cited_claims": sum(1 for claim in claims(answer.answer) if claim.cites) if not answer.refused else 0,
        "timings": answer.timings,
        "confidence": answer.confidence,
        "low_confidence": answer.low_confidence,
        "signals": answer.signals,
        "prompt_tokens": answer.prompt_tokens,
        "cached": cached,
    }
    quotes = [[q.text for q in c.quotes] or [c.quote] for c in answer.citations]
    record["citations"] = [
        c.model_dump(include={"n", "doc_id", "chunk_id", "quote", "support", "verified"}) | {"quotes": texts}
        for c, texts in zip(answer.citations, quotes, strict=True)
    ]
    if not answer.refused and facts:
        record["quote_precise"] = [any(quote_matches_fact(q, f) for q in texts for f in facts) for texts in quotes]
        record["facts_quoted"] = [any(quote_matches_fact(q, f) for texts in quotes for q in texts) for f in facts]
    if record["correct"] and question.kind == "short_text" and not is_label(question.answer or ""):
        record["attributed"] = attributed(question.answer or "", [q for texts in quotes for q in texts])
    if judge and question.answerable and question.answer:
        record["judged_correct"] = False if answer.refused else judge(question.question, question.answer, answer.answer)
    return record


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 4) if present else None


def summarise(records: list[Record]) -> dict[str, Any]:
    """Averages overall and per question type."""
    summary: dict[str, Any] = {"overall": _group(records), "by_type": {}}
    for kind in sorted({r["question_type"] for r in records}):
        summary["by_type"][kind] = _group([r for r in records if r["question_type"] == kind])
    return summary


def _group(records: list[Record]) -> dict[str, Any]:
    scored = [r["retrieval"] for r in records if "retrieval" in r]
    group: dict[str, Any] = {"questions": len(records), "answerable_with_evidence": len(scored)}
    if scored:
        for key in scored[0]:
            group[key] = _mean([s[key] for s in scored])
    answered = [r for r in records if "answer" in r]
    if not answered:
        return group
    answerable = [r for r in answered if r["answerable"]]
    unanswerable = [r for r in answered if not r["answerable"]]
    for kind in ("short_text", "yes_no"):
        subset = [r for r in answerable if r["kind"] == kind]
        group[f"accuracy_{kind}"] = _mean([float(r["correct"]) for r in subset])
    not_refused = [r for r in answered if not r["refused"]]
    fresh = [r for r in answered if not r["cached"]]
    group |= {
        "accuracy_answerable": _mean([float(r["correct"]) for r in answerable]),
        "refusal_rate_unanswerable": _mean([float(r["refused"]) for r in unanswerable]),
        "false_refusal_rate": _mean([float(r["refused"]) for r in answerable]),
        "citation_validity": _mean([float(r["markers_valid"]) for r in not_refused]),
        "invalid_markers_removed": sum(len(r["removed_markers"]) for r in answered),
        "citation_precision": _mean([float(x) for r in not_refused for x in r["cited_relevant"]]),
        "answers_with_citation": _mean([float(bool(r["citations"])) for r in not_refused]),
        "attribution": _mean([float(r["attributed"]) for r in answered if "attributed" in r]),
        "quote_precision": _mean([float(x) for r in not_refused for x in r.get("quote_precise", [])]),
        "quote_recall": _mean([float(x) for r in not_refused for x in r.get("facts_quoted", [])]),
        "corrected_rate": _mean([float(bool(r.get("corrected_markers"))) for r in not_refused]),
        "unsupported_rate": _mean([float(bool(r.get("unsupported_sentences"))) for r in not_refused]),
        "unsupported_claims": _mean(
            [len(r.get("unsupported_sentences", [])) / r["cited_claims"] for r in not_refused if r.get("cited_claims")]
        ),
        "median_retrieval_s": _median([r["retrieval_s"] for r in answered]),
        "median_first_token_s": _median(
            [r["timings"]["first_token_s"] for r in fresh if "first_token_s" in r["timings"]]
        ),
        "median_generation_s": _median([r["timings"]["generation_s"] for r in fresh if "generation_s" in r["timings"]]),
        "mean_prompt_tokens": _mean([r["prompt_tokens"] for r in answered if r.get("prompt_tokens")]),
        "cached_answers": len(answered) - len(fresh),
    }
    rated = [r for r in answerable if not r["refused"] and r.get("confidence") is not None]
    if rated:
        group |= {
            "confidence_auroc": auroc([r["confidence"] for r in rated], [bool(r["correct"]) for r in rated]),
            "low_confidence_rate": _mean([float(r["low_confidence"]) for r in rated]),
            "accuracy_answered": _mean([float(r["correct"]) for r in answerable if not r["refused"]]),
            "median_signals_s": _median([r["timings"].get("signals_s") for r in fresh]),
        }
    marked = [r for r in answerable if not r["refused"] and r.get("unsupported_sentences")]
    group["unverified_mark_wrong"] = _mean([float(not r["correct"]) for r in marked])  # the mark's precision
    for outcome, wanted in (("correct", True), ("wrong", False)):  # how often the mark falls on each
        pool = [r for r in answerable if not r["refused"] and bool(r["correct"]) == wanted]
        group[f"unverified_on_{outcome}"] = _mean([float(bool(r.get("unsupported_sentences"))) for r in pool])
    group["median_verify_s"] = _median([r["timings"].get("verify_s") for r in answered if "verify_s" in r["timings"]])
    if any(r.get("without_gold") for r in answerable):
        group["refusal_without_evidence"] = _mean([float(r["refused"]) for r in answerable])
    judged = [r for r in answerable if r.get("judged_correct") is not None]
    if judged:
        group |= {
            "judge_accuracy_answerable": _mean([float(r["judged_correct"]) for r in judged]),
            "judge_agreement_with_match": _mean([float(r["judged_correct"] == r["correct"]) for r in judged]),
            "judge_unclear": sum(1 for r in answerable if "judged_correct" in r and r["judged_correct"] is None),
        }
    return group
