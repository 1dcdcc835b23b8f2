"""The claim verifier: P(these sentences of an article state this claim).

Its input is the claim against the article's outlet, date and title and the quoted
sentences, best first. Trained on claims made from the training articles (`training/`);
what it is worth is on its card and in docs/evaluation.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from assistant.judges.cross_encoder import CrossEncoder, JudgeCard

MAX_CLAIM_WORDS = 80  # a longer claim is cut: the sentences need room too


def evidence_text(sentences: Sequence[str], title: str = "", source: str = "", published_at: str | None = None) -> str:
    """What the verifier reads beside a claim: "Outlet · November 24, 2023 · Title | sentence sentence"."""
    day = ""
    if published_at:
        try:
            date = datetime.fromisoformat(published_at[:10])
            day = f"{date:%B} {date.day}, {date.year}"
        except ValueError:
            day = published_at[:10]
    header = " · ".join(part for part in (source, day, title.strip()) if part)
    return f"{header} | {' '.join(s.strip() for s in sentences)}"


def claim_text(claim: str) -> str:
    words = claim.split()
    return " ".join(words[:MAX_CLAIM_WORDS])


class ClaimVerifier:
    """The shipped verifier and its two thresholds (from its card): `threshold`, that it must reach to
    confirm what the word rules hold, and `rescue_at`, that it must reach to hold what they do not."""

    def __init__(self, encoder: CrossEncoder) -> None:
        self.encoder = encoder
        self.threshold = encoder.card.threshold
        self.rescue_at = encoder.card.rescue_at

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """P(stated) for each (claim, evidence_text(...)) pair."""
        scored = self.encoder.probabilities([(claim_text(claim), evidence) for claim, evidence in pairs])
        return [round(float(p), 4) for p in scored]

    def probability(self, claim: str, evidence: str) -> float:
        return self.probabilities([(claim, evidence)])[0]


@cache
def claim_verifier() -> ClaimVerifier:
    """The verifier shipped with the package, loaded once per process."""
    return ClaimVerifier(CrossEncoder(JudgeCard.load("claim_verifier")))
