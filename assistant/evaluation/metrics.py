"""Scores of one question: retrieval (as MultiHop-RAG's retrieval_evaluate.py), answers, citations."""

from __future__ import annotations

import re
from collections.abc import Sequence

HITS_CURVE = 20  # Hits@k is reported for k = 1..20


def squash(text: str) -> str:
    """The paper's normalisation: spaces and newlines removed before the containment test."""
    return text.replace(" ", "").replace("\n", "")


def retrieval_scores(chunks: Sequence[str], facts: Sequence[str]) -> dict[str, float]:
    """Chunk-level metrics of one ranked list against the gold evidence facts.

    Hits@k, MRR@10 and MAP@10 follow retrieval_evaluate.py of MultiHop-RAG
    exactly (including its MAP normalisation by min(#facts, 10)); evidence
    recall@10 and all-evidence@10 count how many facts the top 10 hold.
    """
    gold = [squash(fact) for fact in facts]
    ranked = [squash(chunk) for chunk in chunks]
    first_hit: int | None = None
    found: list[str] = []
    precision_sum = 0.0
    for rank, chunk in enumerate(ranked[:10], start=1):
        if any(fact in chunk for fact in gold):
            first_hit = first_hit or rank
            new = [fact for fact in gold if fact in chunk and fact not in found]
            found.extend(new)
            precision_sum += len(new) / rank
    scores = {f"hits@{k}": float(any(any(f in c for f in gold) for c in ranked[:k])) for k in range(1, HITS_CURVE + 1)}
    distinct = set(gold)
    in_top10 = {fact for fact in distinct if any(fact in chunk for chunk in ranked[:10])}
    scores |= {
        "mrr@10": 1.0 / first_hit if first_hit else 0.0,
        "map@10": precision_sum / min(len(gold), 10) if gold else 0.0,
        "evidence_recall@10": len(in_top10) / len(distinct) if distinct else 0.0,
        "all_evidence@10": float(bool(distinct) and in_top10 == distinct),
    }
    return scores


def article_scores(doc_ids: Sequence[str], gold_doc_ids: Sequence[str], k: int = 10) -> dict[str, float]:
    """Article-level hits and recall: the distinct articles of the top-k chunks against the gold ones."""
    top = set(doc_ids[:k])
    gold = set(gold_doc_ids)
    return {
        f"article_hits@{k}": float(bool(top & gold)),
        f"article_recall@{k}": len(top & gold) / len(gold) if gold else 0.0,
    }


_MARKERS = re.compile(r"\[[^\]]*\]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalise(text: str) -> str:
    text = _MARKERS.sub(" ", text.lower())
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def yes_no(text: str) -> str | None:
    """The yes/no an answer gives: its first "yes" or "no"."""
    match = re.search(r"\b(yes|no)\b", normalise(text))
    return match.group(1) if match else None


def answer_correct(prediction: str, gold: str, kind: str) -> bool:
    """Normalised match: yes/no by polarity, short answers by containment of the gold answer."""
    if kind == "yes_no":
        return yes_no(prediction) == normalise(gold)
    expected = normalise(gold)
    return bool(expected) and f" {expected} " in f" {normalise(prediction)} "


LABELS = frozenset(
    {"yes", "no", "same", "similar", "different", "consistent", "inconsistent", "agree", "disagree", "before", "after"}
)


def is_label(answer: str) -> bool:
    """A gold answer that is a label (Yes, Same, Consistent...) rather than a name or phrase."""
    return normalise(answer) in LABELS


def attributed(gold: str, quotes: Sequence[str]) -> bool:
    """Whether the quoted sentences contain the gold answer (normalised as the answer match is)."""
    expected = normalise(gold)
    return bool(expected) and any(f" {expected} " in f" {normalise(quote)} " for quote in quotes)


def quote_matches_fact(quote: str, fact: str, share: float = 0.6) -> bool:
    """Whether a quote shares >= `share` of its words, or of the fact's if fewer, with a gold fact."""
    quote_words, fact_words = set(normalise(quote).split()), set(normalise(fact).split())
    if not quote_words or not fact_words:
        return False
    return len(quote_words & fact_words) / min(len(quote_words), len(fact_words)) >= share
