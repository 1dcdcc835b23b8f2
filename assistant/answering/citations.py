"""Each claim of an answer checked against the sentences its `[n]` markers cite: kept, re-pointed or
flagged, and quoted.

The word rules (`claim_support`) find the sentences that hold a claim; where they do, the
claim verifier we trained (`assistant.judges`) reads those sentences and must agree.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from assistant.answering.claim_support import HOLDS_AT, Candidate, Context, Support, support
from assistant.answering.injection import safe_sentences
from assistant.answering.markers import MARKER, parse_markers
from assistant.judges import ClaimVerifier, evidence_text
from assistant.records import Citation, Passage, Quote, Statement
from assistant.statements.search import claimed_speaker, speaks_for
from assistant.statements.speakers import names_of_country
from assistant.text import tokenize

# The end of a sentence, with the markers that follow its full stop.
# Not after an initial or a title: "the U.S. State Department", "Mr. Smith".
_NOT_ABBREVIATION = r"(?<!\b[A-Z])(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bNo)"
_SENTENCE_END = re.compile(_NOT_ABBREVIATION + r"[.!?][\"'”’)]*(?:\s*\[[^\]]*\])*(?=\s+[A-Z\"“'(\[]|\s*$)")
# The same while streaming: complete only once the next sentence has begun (not at the text's end).
COMPLETE_SENTENCE_END = re.compile(_NOT_ABBREVIATION + r"[.!?][\"'”’)]*(?:\s*\[[^\]]*\])*(?=\s+[A-Z\"“'(])")


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
        cites = tuple(parse_markers(sentence))
        text = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", sentence)).strip()
        text = re.sub(r"[,;:]+([.!?][\"'”’)]*)$", r"\1", text)  # "group, [2]." -> "group."
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


MIN_CLAIM_WORDS = 3  # a shorter sentence without a marker ("Yes.") states nothing to cite


@dataclass(frozen=True)
class CheckedClaim:
    """A sentence of the answer after its citations were checked against the sentences it cites."""

    sentence: str  # the sentence as printed: markers corrected
    claim: Claim  # its text and its (corrected) citations
    support: Support | None  # None for a sentence that cites nothing
    corrected: tuple[tuple[int, int | None], ...] = ()  # (from, to); to None: a marker of nothing it holds

    @property
    def held(self) -> bool:
        return self.support is not None and self.support.holds

    @property
    def unsupported(self) -> bool:
        return self.support is not None and not self.support.holds

    @property
    def uncited(self) -> bool:
        """A sentence that states something with no marker of its own and none after it."""
        return self.support is None and len(tokenize(self.claim.text)) >= MIN_CLAIM_WORDS


class ClaimChecker:
    """Checks an answer's sentences against the passages of its prompt, read once per answer."""

    def __init__(
        self,
        passages: list[Passage],
        question: str = "",
        verifier: ClaimVerifier | None = None,
        statements: Mapping[str, list[Statement]] | None = None,
    ) -> None:
        self.passages, self.question, self.verifier = passages, question, verifier
        self.verify_s = 0.0  # time spent in the verifier
        self.candidates = _candidates(passages)
        self.context = {n: _context(p) for n, p in enumerate(passages, 1)}
        self.statements = statements or {}  # who said what in the passages' articles, by doc_id

    def _may_say(self, claim: str, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates that may hold a claim of who said something: a sentence the index attributes to
        someone else cannot ("The Erdogan spokesman said 'We welcome ...'" is not held by the UN
        spokesman's words); sentences attributed to nobody are left to the words."""
        speaker = claimed_speaker(claim) if self.statements else None
        if speaker is None:
            return candidates
        kept = []
        for candidate in candidates:
            passage = self.passages[candidate.n - 1]
            start, end = (passage.chunk.char_start + at for at in candidate.span)
            article = self.statements.get(passage.chunk.doc_id, ())
            said = [s for s in article if s.overlaps(start, end)]
            speaking = [statement for statement in said if speaks_for(speaker, statement)]
            if speaking:  # its speaker lends the claim their names: "The US said" of the State Department's words
                kept.append(replace(candidate, speaker=" ".join(_names(s) for s in speaking)))
            elif not said:
                kept.append(candidate)
        return kept

    def check(self, sentence: str) -> CheckedClaim:
        """Check a sentence's markers: keep those whose passages hold it, re-point to those that do, or flag it.

        The sentence is held by its cited passages when their sentences hold it
        (`support`); a cited passage that holds no part of it loses its marker. When
        they do not, and other passages do, the markers are re-pointed to those.
        Otherwise the sentence is unsupported and keeps the markers the model wrote. With a
        verifier, sentences the rules find holding a claim hold it only if the verifier agrees.
        """
        claim = _claim(sentence)
        if not claim.cites:
            return CheckedClaim(sentence, claim, None)
        candidates = self._may_say(claim.text, self.candidates)
        cited = [c for c in candidates if c.n in claim.cites]
        held = self._judged(claim.text, support(claim.text, cited, self.context, self.question))
        if held.holds:
            keep = [n for n in claim.cites if n in held.passages or self._partly_holds(claim.text, cited, n)]
            corrected: tuple[tuple[int, int | None], ...] = tuple((n, None) for n in claim.cites if n not in keep)
            return _rewritten(sentence, claim, tuple(keep), held, corrected)
        anywhere = support(claim.text, candidates, self.context, self.question)
        if self.verifier is None:
            moves = anywhere.holds and _clearly_better(anywhere, held)
        elif moves := anywhere.passages != held.passages:  # the verifier reads the other passages' sentences too
            anywhere = self._judged(claim.text, anywhere)
            moves = anywhere.holds
        if moves:
            new = anywhere.passages
            corrected = tuple((n, new[0]) for n in claim.cites if n not in new)
            return _rewritten(sentence, claim, new, anywhere, corrected)
        return CheckedClaim(sentence, claim, held)

    def check_under(self, sentence: str, cites: tuple[int, ...]) -> CheckedClaim:
        """Check a sentence without a marker against the passages the next marker cites.

        Readers read one marker at the end of a paragraph as the source of all of it: the
        sentences before it are quoted from its passages, or are unsupported (never
        re-pointed: they have no marker of their own to move).
        """
        claim = Claim(_claim(sentence).text, cites)
        cited = [c for c in self._may_say(claim.text, self.candidates) if c.n in cites]
        held = support(claim.text, cited, self.context, self.question)
        return CheckedClaim(sentence, claim, self._judged(claim.text, held))

    def _judged(self, claim: str, found: Support) -> Support:
        """`found` with the verifier's reading of its quotes: held where the rules hold it and the verifier
        agrees, or where the rules do not but the verifier is sure (a paraphrase) and no number is missing."""
        if self.verifier is None or not found.quotes:
            return found
        started = time.perf_counter()
        verdict = self.verifier.probability(claim, self.evidence(found))
        self.verify_s += time.perf_counter() - started
        if found.rules_hold:
            judged = verdict >= self.verifier.threshold
        else:
            judged = verdict >= self.verifier.rescue_at and not found.missing_numbers
        return replace(found, verdict=verdict, judged=judged)

    def evidence(self, found: Support) -> str:
        """What the verifier reads: each quoted passage's outlet, date and title, then its quotes, best first."""
        parts = []
        for n in found.passages:
            passage = self.passages[n - 1]
            quotes = [c.text for c in found.quotes if c.n == n]
            parts.append(evidence_text(quotes, passage.title, passage.source, passage.published_at))
        return " ".join(parts)

    def _partly_holds(self, claim: str, cited: list[Candidate], n: int) -> bool:
        """Whether passage `n` alone holds much of the claim: a second source for it, worth its marker."""
        own = support(claim, [c for c in cited if c.n == n], self.context, self.question)
        return not own.missing_numbers and own.score >= 0.66 * HOLDS_AT

    def citations(self, checked: list[CheckedClaim]) -> list[Citation]:
        """One citation per cited passage, with the sentences of it that hold the claims citing it."""
        passages = self.passages
        quotes: dict[int, list[tuple[int, int]]] = {}
        scores: dict[int, list[float]] = {}
        verified: dict[int, bool] = {}
        for item in checked:
            if item.support is None:
                continue
            for n in item.claim.cites:
                if not 1 <= n <= len(passages):
                    continue
                spans = [c.span for c in item.support.quotes if c.n == n]
                score = item.support.score
                if not spans:  # unsupported: its closest sentence in this passage, and how much of the claim it holds
                    own = support(item.claim.text, [c for c in self.candidates if c.n == n], question=self.question)
                    spans, score = [c.span for c in own.quotes], own.score
                quotes.setdefault(n, [])
                quotes[n].extend(span for span in spans if span not in quotes[n])
                scores.setdefault(n, []).append(score)
                # verified: its own quotes are among those that hold the claim, not just a passage that partly does
                verified[n] = verified.get(n, True) and item.held and n in item.support.passages
        citations = []
        for n in sorted(quotes):
            passage = passages[n - 1]
            offset = passage.chunk.char_start
            spans = sorted(quotes[n]) or [(0, len(passage.chunk.text))]
            parts = [
                Quote(char_start=offset + start, char_end=offset + end, text=passage.chunk.text[start:end])
                for start, end in spans
            ]
            citations.append(
                Citation(
                    n=n,
                    doc_id=passage.chunk.doc_id,
                    chunk_id=passage.chunk.chunk_id,
                    **passage.article_fields(),
                    char_start=parts[0].char_start,
                    char_end=parts[0].char_end,
                    quote=parts[0].text,
                    quotes=parts,
                    support=min(scores[n]),
                    verified=verified[n],
                )
            )
        return citations


REPOINT_MARGIN = 0.2  # how much more of a claim's words another passage must hold to take a marker


def _clearly_better(found: Support, cited: Support) -> bool:
    """Whether a marker may move from `cited` to `found`: never away from passages that hold every
    name and number of the claim with the words around them, unless the others hold clearly more."""
    if cited.missing_names or cited.missing_numbers or not cited.polarity:
        return True
    return found.score - cited.score >= REPOINT_MARGIN


def _rewritten(
    sentence: str, claim: Claim, cites: tuple[int, ...], held: Support, corrected: tuple[tuple[int, int | None], ...]
) -> CheckedClaim:
    if cites == claim.cites:
        return CheckedClaim(sentence, claim, held)
    first = True

    def replace(match: re.Match[str]) -> str:
        nonlocal first
        text, first = ("".join(f"[{n}]" for n in cites) if first else ""), False
        return text

    rewritten = re.sub(r"[ \t]+([.,;:!?])", r"\1", MARKER.sub(replace, sentence))
    return CheckedClaim(rewritten, Claim(claim.text, cites), held, corrected)


def _claim(sentence: str) -> Claim:
    found = claims(sentence)
    if len(found) == 1:
        return found[0]
    cites = tuple(parse_markers(sentence))
    return Claim(" ".join(c.text for c in found), cites)


def _names(statement: Statement) -> str:
    """Every name of a statement's speaker: as written, the person, the organisation, the country's names."""
    country = names_of_country(statement.country) if statement.country else ()
    return " ".join(n for n in (statement.speaker, statement.person, statement.organisation, *country) if n)


def _candidates(passages: list[Passage]) -> list[Candidate]:
    """Every sentence of the passages, numbered by passage; those the model was shown are marked so.

    A claim may be quoted from a sentence of its passage the model was not shown:
    the quote is what lets a reader check the claim, and the sentence beside the
    shown one often names who or what the shown one calls "he" or "the company".
    """

    result = []
    for n, passage in enumerate(passages, 1):
        text = passage.chunk.text
        shown = set(passage.evidence)
        for span in safe_sentences(text) or [(0, len(text))]:
            result.append(Candidate(n, span, text[span[0] : span[1]], shown=not shown or span in shown))
    return result


def _context(passage: Passage) -> Context:
    """What counts towards a claim without being quoted: the article's title, outlet and date."""
    date = ""
    if passage.published_at:
        try:
            day = datetime.fromisoformat(passage.published_at[:10])
            date = f"{day:%B} {day.day} {day.year} {passage.published_at[:10]}"
        except ValueError:
            date = passage.published_at[:10]
    return Context(passage.title, passage.source, date)


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
