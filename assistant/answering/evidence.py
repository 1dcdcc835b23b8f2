"""Pick the sentences of the retrieved passages that bear on the question.

The prompt then carries those sentences only: it stays short (prompt tokens are
the main cost of a local model) and every citation quotes a sentence the model
actually saw.
"""

from __future__ import annotations

import numpy as np

from assistant.answering.injection import safe_sentences
from assistant.backends.embeddings import Embedder
from assistant.records import Passage
from assistant.text import tokenize

JUDGE_WEIGHT = 1.0  # a sentence the judge holds to answer outranks any by similarity and shared words


def select_evidence(
    question: str,
    passages: list[Passage],
    embedder: Embedder,
    max_sentences: int,
    per_passage: int = 3,
) -> list[Passage]:
    """The passages that hold chosen sentences, each with `evidence` set, in retrieval order."""
    candidates = [
        (number, span) for number, passage in enumerate(passages) for span in safe_sentences(passage.chunk.text)
    ]
    if not candidates:
        return []
    texts = [passages[number].chunk.text[start:end] for number, (start, end) in candidates]
    keys = [" ".join(text.lower().split()) for text in texts]
    vectors = embedder.embed([question, *texts])
    similarity = vectors[1:] @ vectors[0]
    wanted = set(tokenize(question))
    overlap = np.array([len(wanted & set(tokenize(text))) / max(len(wanted), 1) for text in texts])
    # a passage's rank counts too: retrieval already judged the passage as a whole
    rank_bonus = np.array([0.1 / (1 + number) for number, _ in candidates])
    # where the answerability judge read a sentence (`reranking.rerank`), what it read counts most
    judged = {(number, (start, end)): p for number, passage in enumerate(passages)
              for start, end, p in passage.judged_sentences}  # fmt: skip
    judge_bonus = np.array([JUDGE_WEIGHT * judged.get(candidate, 0.0) for candidate in candidates])
    scores = similarity + 0.3 * overlap + rank_bonus + judge_bonus

    # one copy of each sentence (chunks overlap, articles repeat paragraphs); a repeat still uses up its
    # place in the budget, so removing it shortens the prompt instead of bringing in a weaker sentence
    chosen: dict[int, list[tuple[int, int]]] = {}
    taken: set[str] = set()
    places = 0
    for position in np.argsort(-scores):
        number, span = candidates[position]
        if keys[position] in taken:
            places += 1
        elif len(chosen.get(number, [])) < per_passage:
            chosen.setdefault(number, []).append(span)
            taken.add(keys[position])
            places += 1
        if places >= max_sentences:
            break
    return [passages[number].model_copy(update={"evidence": sorted(spans)}) for number, spans in sorted(chosen.items())]


def excerpt(passage: Passage) -> str:
    """The passage's evidence sentences, with an ellipsis where text was left out."""
    if not passage.evidence:
        return passage.chunk.text
    parts: list[str] = []
    previous_end = None
    text = passage.chunk.text
    for start, end in passage.evidence:
        if previous_end is not None and text[previous_end:start].strip():
            parts.append("…")
        parts.append(text[start:end])
        previous_end = end
    return " ".join(parts)
