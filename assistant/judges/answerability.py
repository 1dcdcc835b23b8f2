"""The answerability judge: P(this sentence of an article states what the question asks).

It reads the question against one sentence with its article's outlet, date and title
(`evidence_text`), as it was trained (`training/answer_data.py`: the training questions'
gold sentences against the other sentences retrieval found for them). The assistant uses it
to rank passages and choose the sentences the model sees; its best score, known before the
first token, is among the confidence signals (`judge_best`). It does not refuse on its own:
trained on MultiHop-RAG's long questions, it reads short ones poorly ("How many Syrians does
Turkey shelter?" against the sentence that says it: P 0.03), see docs/judges.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from assistant.judges.cross_encoder import CrossEncoder, JudgeCard
from assistant.judges.verifier import claim_text


class AnswerJudge:
    """The shipped judge (its card's `threshold`: the best score under which 0.05 of answerable dev questions fall)."""

    def __init__(self, encoder: CrossEncoder) -> None:
        self.encoder = encoder

    def probabilities(self, question: str, evidence: Sequence[str]) -> np.ndarray:
        """P(answers) of each `evidence_text(...)` for `question`."""
        asked = claim_text(question)
        return self.encoder.probabilities([(asked, text) for text in evidence])


@cache
def answer_judge() -> AnswerJudge:
    """The judge shipped with the package, loaded once per process (two threads: it runs before the model)."""
    return AnswerJudge(CrossEncoder(JudgeCard.load("answer_judge"), threads=2))
