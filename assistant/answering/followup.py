"""Follow-up questions: "And what did Russia say?" read in the light of the question before it.

A rule, not a model call: with the embedded model a rewrite would cost seconds
of prompt processing before every follow-up. A question that leans on the one
before it (it opens with "and", "what about", ..., or points back with "he",
"they", "this", ...) is asked together with the
previous question: retrieval finds what both are about, and the model reads the
previous question as context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel

_OPENING = re.compile(r"^\s*(and|but|also|so|then|what about|how about|and what about|what else)\b", re.IGNORECASE)
# words that point back ("that" is left out: it is more often a conjunction, "said that ...")
_POINTER = re.compile(r"\b(he|she|they|them|him|his|her|hers|their|theirs|it|its|this|these|those)\b", re.IGNORECASE)


class Turn(BaseModel):
    """A question asked before, with the answer it got."""

    question: str
    answer: str = ""


_NAME = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][\w'-]*")
SHORT = 8  # words: a short question that points back has nothing else to point at
LONG = 25  # words: a question this long says what it is about ("Who is the individual ... his company")


def is_follow_up(question: str) -> bool:
    """Whether `question` leans on the one before it.

    It opens with "and", "what about", ...; or it points back ("they", "it", ...) and
    is short, or names nothing before the pointer and is not long. A question whose
    "its" points at a name or a description of its own ("Which company ... its
    revenue?") stands alone.
    """
    question = question.strip()
    if _OPENING.match(question):
        return True
    pointer = _POINTER.search(question)
    words = len(question.split())
    if pointer is None or words > LONG:
        return False
    return words <= SHORT or not _NAME.search(question[: pointer.start()])


def in_context(question: str, history: Sequence[Turn]) -> str:
    """The question to retrieve and answer: with the previous one when it is a follow-up."""
    if not history or not is_follow_up(question):
        return question
    previous = history[-1].question
    return f"{question.strip()} (Follow-up to: {previous.strip()})"
