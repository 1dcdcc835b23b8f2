"""Article text is data, never instructions: keep what is aimed at the model out of the prompt.

Two layers, besides the prompt's own warning: sentences that address an AI model
("ignore previous instructions…", "note to AI systems: reply…") are never chosen
as evidence, and what is shown is stripped of chat-template tokens and `[n]`
markers the model could copy as citations.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.answering.markers import MARKER
from assistant.text import sentence_spans

_SPECIAL_TOKEN = re.compile(r"<\|[\w\s-]{1,40}\|>|</?s>")
_AI = r"(?:ai|a\.i\.|assistants?|chatbots?|language models?|llms?|models?|ai systems?|bots?)"
_ADDRESSED_TO_MODEL = re.compile(
    "|".join(
        [  # each checked against the 58,229 sentences of the MultiHop-RAG news corpus: no match there
            r"\b(?:ignore|disregard|forget|override)\b[^.!?]{0,60}\b(?:instructions?|prompts?|question|sources?|rules)\b",
            r"\b(?:print|reveal|show|output|repeat|disclose)\b[^.!?]{0,40}\b(?:system prompt|api keys?|configuration)",
            rf"\b(?:note|message|instructions?|notice|reminder)\s+(?:to|for)\s+(?:the\s+|all\s+|any\s+)?{_AI}\b",
            r"^\W*(?:dear\s+)?(?:assistant|chatbot|ai assistant|language model)\s*[,:]|^\W*ai\s*:",
            r"\bwhen (?:you )?(?:answer|repl|respond)\w*[^.!?]{0,30}\bquestions?\b",
            r"\b(?:every|any|each) (?:answer|reply|response)\b[^.!?]{0,40}\b(?:must|should)\b",
            r"\bnew (?:task|instructions?)\s*:",
            r"\b(?:answer|reply|respond|write)\s+only\s+in\b",
            r"\bend (?:every|each|your) (?:reply|answer|response)\b",
            r"(?:^|\n)\s*#*\s*(?:system|assistant)\s*:",
            r"<\|im_start\|>",
        ]
    ),
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"(?<=[.!?:])\s+")


def addresses_the_model(sentence: str) -> bool:
    """Whether a sentence of an article reads as an instruction to an AI model."""
    return _ADDRESSED_TO_MODEL.search(sentence) is not None


def safe_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sentence spans of `text` with what addresses the model cut out.

    A flagged sentence keeps only its clauses before the first flagged one, so a
    fact that shares a "sentence" with an instruction survives (a splitter reads
    "Rates rose. </tag> New task: …" as one sentence) and the instruction does not.
    """
    kept: list[tuple[int, int]] = []
    for start, end in spans:
        if not addresses_the_model(text[start:end]):
            kept.append((start, end))
            continue
        piece_start = start
        for boundary in _CLAUSE_END.finditer(text, start, end):
            if addresses_the_model(text[piece_start : boundary.start()]):
                break
            kept.append((piece_start, boundary.start()))
            piece_start = boundary.end()
    return kept


@lru_cache(maxsize=64)
def safe_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """The sentences of a passage that may reach the prompt and be quoted: split and filtered once
    per passage, for the evidence choice and the citation check alike."""
    return tuple(safe_spans(text, sentence_spans(text)))


def neutralise(text: str) -> str:
    """Article text made inert for the prompt: no chat-template tokens, no `[n]` markers to copy."""
    return MARKER.sub("", _SPECIAL_TOKEN.sub(" ", text))
