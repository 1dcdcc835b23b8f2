"""`[n]` citation markers: parse them, drop invalid ones, and resolve them to quotes.

Pure functions, no model: the answer text and the retrieved passages are all
they need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.keyword import tokenize
from assistant.models import Citation, Passage

# [1], [1, 2], [1,2,3]; also tolerated: [Source 1], [Passage 2]
MARKER = re.compile(r"\[(?:(?:source|passage|doc(?:ument)?)\s*)?(\d+(?:\s*,\s*\d+)*)\]", re.IGNORECASE)
# The end of a sentence, with the markers that follow its full stop.
# The start of a marker still being streamed: "[", "[1, ", "[Source "
OPEN_MARKER = re.compile(r"\[(?:(?:source|passage|doc(?:ument)?)\s*)?[\d,\s]*$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?:\s*\[[^\]]*\])*(?=\s+[A-Z\"“'(\[]|\s*$)")


def parse_markers(text: str) -> list[int]:
    """Every cited number, in order of first appearance."""
    numbers: list[int] = []
    for match in MARKER.finditer(text):
        for number in _numbers(match):
            if number not in numbers:
                numbers.append(number)
    return numbers


def _numbers(match: re.Match[str]) -> list[int]:
    return [int(part) for part in re.split(r"\s*,\s*", match.group(1))]


def drop_invalid_markers(text: str, valid: set[int]) -> tuple[str, list[int]]:
    """The text with every number outside `valid` removed from its marker, and those numbers."""
    removed: list[int] = []

    def keep(match: re.Match[str]) -> str:
        numbers = _numbers(match)
        good = [n for n in numbers if n in valid]
        removed.extend(n for n in numbers if n not in valid)
        return "".join(f"[{n}]" for n in good)

    cleaned = MARKER.sub(keep, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)  # a space left before punctuation
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return cleaned, removed


@dataclass(frozen=True)
class Claim:
    """A sentence of the answer and the passages it cites."""

    text: str  # without markers
    cites: tuple[int, ...]


def claims(answer: str) -> list[Claim]:
    """The answer's sentences, each with its markers (a marker after the full stop counts too)."""
    result: list[Claim] = []
    for sentence in _sentences(answer.strip()):
        if not sentence.strip():
            continue
        cites = tuple(dict.fromkeys(n for m in MARKER.finditer(sentence) for n in _numbers(m)))
        text = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", sentence)).strip()
        if text.strip(" .") or cites:
            result.append(Claim(text, cites))
    return result


def _sentences(text: str) -> list[str]:
    parts, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        parts.append(text[start : match.end()])
        start = match.end()
    parts.append(text[start:])
    return parts


def uncited(answer: str) -> list[str]:
    """Sentences that state something without citing any passage."""
    return [claim.text for claim in claims(answer) if not claim.cites and len(tokenize(claim.text)) >= 3]


def resolve(answer: str, passages: list[Passage]) -> list[Citation]:
    """One citation per cited passage, quoting its evidence sentence that best supports the answer."""
    support: dict[int, list[str]] = {}
    for claim in claims(answer):
        for n in claim.cites:
            if 1 <= n <= len(passages):
                support.setdefault(n, []).append(claim.text)
    citations = []
    for n, texts in sorted(support.items()):
        passage = passages[n - 1]
        start, end = best_sentence(passage.chunk.text, passage.evidence, " ".join(texts))
        citations.append(
            Citation(
                n=n,
                doc_id=passage.chunk.doc_id,
                title=passage.title,
                source=passage.source,
                published_at=passage.published_at,
                url=passage.url,
                chunk_id=passage.chunk.chunk_id,
                char_start=passage.chunk.char_start + start,
                char_end=passage.chunk.char_start + end,
                quote=passage.chunk.text[start:end],
            )
        )
    return citations


def best_sentence(text: str, spans: list[tuple[int, int]], claim: str) -> tuple[int, int]:
    """The span of `text` sharing the most words with `claim` (the whole text if it has no sentences)."""
    if not spans:
        return 0, len(text)
    wanted = set(_stems(claim))

    def overlap(span: tuple[int, int]) -> float:
        words = set(_stems(text[span[0] : span[1]]))
        return len(words & wanted) + 1e-3 * len(words)  # ties go to the fuller sentence

    return max(spans, key=overlap)


def _stems(text: str) -> list[str]:
    return [token[:6] for token in tokenize(text)]  # a crude stem: "welcomed" ~ "welcome"


# A first sentence like these is a refusal whatever it cites...
_STRONG_REFUSAL = re.compile(
    r"\b(i (don't|do not|cannot|can't) (know|answer|tell|find)|insufficient information"
    r"|(the )?(provided )?(sources?|articles?|passages?|context|information)( provided)? (do|does|did)(n't| not)"
    r"|(did|does|do|has|have)(n't| not) (say|said|mention|mentioned|comment|commented) anything)\b",
    re.IGNORECASE,
)
# ...these only when it cites nothing.
_WEAK_REFUSAL = re.compile(
    r"\b(not (mentioned|stated|provided|specified|available|included|addressed|discussed|given)"
    r"|no (information|mention|details?)|cannot be (answered|determined))\b",
    re.IGNORECASE,
)


def is_refusal(answer: str) -> bool:
    """Whether the answer declines: its first sentence says the sources do not tell."""
    first = claims(answer)[:1]
    if not first:
        return True
    sentence = first[0]
    return bool(_STRONG_REFUSAL.search(sentence.text)) or (
        not sentence.cites and bool(_WEAK_REFUSAL.search(sentence.text))
    )
