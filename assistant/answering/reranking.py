"""Rank retrieved passages by what the answerability judge reads in their sentences.

Retrieval finds passages on the question's topic; the judge (`judges.answerability`) reads
whether a sentence states what the question asks. Judging every sentence of every passage
costs too much before the first token, so in each passage the sentence that shares most words
with the question is judged, and added to the passage's retrieval rank:
score = (RRF_K + 1) / (RRF_K + 1 + rank) + JUDGE_WEIGHT * P.

Chosen on the first 90 MultiHop-RAG dev questions (docs/judges.md): the judge's P alone ranks
worse than retrieval (Hits@4 0.76 -> 0.65 with every sentence judged); the sum with the rank,
one sentence a passage, weight 0.3, ranked best (Hits@4 0.76 -> 0.80, evidence recall@10 0.617
-> 0.664), and held on the other 85 (Hits@4 0.787 -> 0.80, evidence recall@10 0.546 -> 0.579).
"""

from __future__ import annotations

from assistant.answering.injection import safe_sentences
from assistant.answering.retrieval import RRF_K
from assistant.judges import AnswerJudge, evidence_text
from assistant.records import Passage
from assistant.text import tokenize

JUDGED_PER_PASSAGE = 1  # sentences judged in each passage, those sharing most words with the question
JUDGE_WEIGHT = 0.3


def rerank(question: str, passages: list[Passage], judge: AnswerJudge) -> list[Passage]:
    """`passages` (in retrieval's order) best first by rank and judge, each with `judged` (its best P)
    and `judged_sentences` ((start, end, P) of each sentence judged)."""
    wanted = set(tokenize(question))
    chosen: list[tuple[int, int, int, str]] = []  # (passage number, start, end, what the judge reads)
    for number, passage in enumerate(passages):
        text = passage.chunk.text
        spans = safe_sentences(text)
        shared = [len(wanted & set(tokenize(text[start:end]))) for start, end in spans]
        closest = sorted(range(len(spans)), key=lambda i: -shared[i])[:JUDGED_PER_PASSAGE]
        for start, end in (spans[i] for i in sorted(closest)):
            read = evidence_text([text[start:end]], passage.title, passage.source, passage.published_at)
            chosen.append((number, start, end, read))
    distinct = list(dict.fromkeys(read for *_, read in chosen))  # chunks overlap: each sentence judged once
    probability = dict(zip(distinct, map(float, judge.probabilities(question, distinct)), strict=True))
    judged: dict[int, list[tuple[int, int, float]]] = {}
    for number, start, end, read in chosen:
        judged.setdefault(number, []).append((start, end, round(probability[read], 4)))
    scored = []
    for number, passage in enumerate(passages):
        sentences = judged.get(number, [])
        best = max((p for _, _, p in sentences), default=0.0)
        update = {"judged": best, "judged_sentences": sentences}
        scored.append(((RRF_K + 1) / (RRF_K + 1 + number) + JUDGE_WEIGHT * best, passage.model_copy(update=update)))
    return [passage for _, passage in sorted(scored, key=lambda item: -item[0])]
