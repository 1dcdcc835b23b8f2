"""An LLM judge: does an answer say what the gold answer says, beyond the string match?"""

from __future__ import annotations

from assistant.answering.markers import MARKER
from assistant.backends.chat import ChatModel
from assistant.resources import load_prompt

VERDICT_TOKENS = 3  # "same" or "different", and a full stop
# A 1.5B judge asked "yes or no?" said yes to most answers, "No" against "Yes" too: see the README.


class Judge:
    """Grades answers against gold answers with the configured chat model (temperature 0)."""

    def __init__(self, chat_model: ChatModel) -> None:
        self.chat_model = chat_model

    def __call__(self, question: str, gold: str, answer: str) -> bool | None:
        """True if `answer` agrees with `gold`; None if the judge's reply is neither "same" nor "different"."""
        prompt = load_prompt("judge").substitute(question=question, gold=gold, answer=MARKER.sub("", answer).strip())
        reply = "".join(self.chat_model.stream([{"role": "user", "content": prompt}], VERDICT_TOKENS))
        words = reply.strip().lower().split()
        verdict = words[0].strip(".,:;!*\"'") if words else ""
        return {"same": True, "different": False}.get(verdict)
