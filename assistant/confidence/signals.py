"""The signals of an answer's confidence: what the model says of its sources and of its answer, and the evidence's fit.

Before the answer (known before its first token, so a refusal can be decided then):
- `p_sufficient`: the model's P(Yes) to "Do the sources above state the answer?", asked
  in place of the answer's instruction, after the same sources and question (whose
  processing the answer then reuses);
- `top_similarity`: the best passage's cosine similarity to the question;
- `names_held`: the share of the question's names the passages shown mention;
- `judge_best`, `judge_second`: the answerability judge's best P that a sentence shown states the
  answer, and the best of another article (a question comparing two reports needs both).
After it:
- `first_logprob`, `min_logprob`, `max_entropy`: the answer's own tokens, read as they are chosen
  (the embedded model; an OpenAI-compatible server's answer stream gives none): the log-probability
  of its first token and of its least likely one, and the highest entropy of the model's
  distribution over the next token along the answer (alone, on 148 dev answers: AUROC 0.668, 0.631,
  and 0.678 for the lower the better);
- `held_share`: the share of the answer's cited claims the claim checker holds (read, not modelled:
  AUROC 0.52 alone).

Tried and dropped: `p_true`, the model's P(Yes) to "Is every claim of your answer stated in
the sources?" after its answer (AUROC 0.578 alone on 148 dev answers, about what
`p_sufficient` gives, for 0.6-0.8 s more per answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from assistant.backends.chat import ChatModel, Messages
from assistant.records import Passage
from assistant.text import name_stems, tokenize

SUFFICIENT = "Do the sources above state the answer to this question? Reply Yes or No."
_INSTRUCTION = "\n\nAnswer from the sources only"  # where the question prompt's last paragraph starts

Signals = dict[str, float]


class CheckedClaim(Protocol):
    """A claim of the answer as the claim checker left it (`answering.citations.CheckedClaim`)."""

    @property
    def support(self) -> Any | None: ...  # None: it cites nothing

    @property
    def held(self) -> bool: ...


def before_answer(model: ChatModel, messages: Messages, question: str, passages: Sequence[Passage]) -> Signals:
    """The signals known before the answer's first token (the model's probe: None where it gives no probabilities)."""
    signals: Signals = {}
    user = messages[-1]["content"]
    cut = user.rfind(_INSTRUCTION)
    probe = getattr(model, "yes_probability", None)
    if probe is not None and cut != -1:
        asked = probe([*messages[:-1], {"role": "user", "content": f"{user[:cut]}\n\n{SUFFICIENT}"}])
        if asked is not None:
            signals["p_sufficient"] = asked
    similarities = [p.similarity for p in passages if p.similarity is not None]
    signals["top_similarity"] = max(similarities, default=0.0)
    names = name_stems(question)
    held = set().union(*(tokenize(f"{p.title} {p.chunk.text}") for p in passages)) if passages else set()
    signals["names_held"] = len(names & held) / len(names) if names else 1.0
    return signals | judged_signals(passages)


def judged_signals(passages: Sequence[Passage]) -> Signals:
    """`judge_best` and `judge_second`, where the answerability judge read the passages."""
    best: dict[str, float] = {}
    for passage in passages:
        if passage.judged is not None:
            best[passage.chunk.doc_id] = max(best.get(passage.chunk.doc_id, 0.0), passage.judged)
    if not best:
        return {}
    ordered = sorted(best.values(), reverse=True)
    return {"judge_best": ordered[0], "judge_second": ordered[1] if len(ordered) > 1 else 0.0}


def after_answer(checked: Sequence[CheckedClaim], model: ChatModel) -> Signals:
    """The signals of the finished answer: its tokens' probabilities (where the model gives them), the checker's."""
    cited = [item for item in checked if item.support is not None]
    signals = {"held_share": sum(item.held for item in cited) / len(cited) if cited else 0.0}
    read = getattr(model, "token_stats", None)
    return signals | (read() or {}) if read is not None else signals
