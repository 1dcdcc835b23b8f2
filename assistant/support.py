"""Does a quoted sentence hold a claim? A deterministic scorer, no model.

No NLI or cross-encoder model installs offline here, so support is read off the
words: every number of the claim (a count, an amount, a year, a day) must occur
in the quotes ("November 11" is not held by "last November"); of the claim's other
words, stemmed as BM25 stems them, every name (a capitalised word: who, where,
which outlet) and a share of the rest, names weighing double, must occur in the
quotes or in the cited article's title, outlet and date. A claim joining several
facts may need several sentences.

Given the question, the claim's own words (its answer: "... is Sam Bankman-Fried")
weigh more than those it repeats from the question (its premise, often spread over
several articles), and quotes that name the answer themselves are preferred. Names
and numbers must be held wherever they come from ("Vandita said ...", "the 2019 final").
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

from assistant.aliases import mentioned_in, referents
from assistant.keyword import tokenize

HOLDS_AT = 0.6  # share of the claim's weighted words the quotes must hold
NAME_WEIGHT = 2.0
PREMISE_WEIGHT = 0.5  # a word the claim repeats from the question, against one of its own
MAX_QUOTES = 3  # sentences one claim may rest on

# 2.7, 1,200, 30%, $5bn, 2019, 11th; a number word joined to its scale ("2.7 million")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:st|nd|rd|th)?(?![\w])")
_SCALE = re.compile(r"\s*(hundred|thousand|million|billion|trillion|bn|m|k)\b", re.IGNORECASE)
_NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_WORD = re.compile(r"(?u)\b\w\w+\b")
# words that frame an answer rather than state a fact
_FRAMING = frozenset(tokenize("yes no according article articles report reported reports source sources said says"))


def numbers(text: str) -> set[str]:
    """The numbers of a text, normalised: "1,200" -> "1200", "11th" -> "11", "two" -> "2"; scales kept."""
    found = set()
    for match in _NUMBER.finditer(text):
        value = re.sub(r"(st|nd|rd|th)$", "", match.group()).replace(",", "")
        if value.count(".") == 1 and value.endswith(".0"):
            value = value[:-2]
        scale = _SCALE.match(text, match.end())
        found.add(f"{value} {scale.group(1).lower()}" if scale else value)
    for match in _NUMBER_WORD.finditer(text):
        if match.group(1).lower() != "one":  # "one of the", "no one": rarely a count
            found.add(_NUMBER_WORDS[match.group(1).lower()])
    return found


def _bare(number: str) -> str:
    return number.split(" ")[0]


def weighted_words(claim: str, question: str = "") -> dict[str, float]:
    """The claim's stemmed words with their weights: names (capitalised, not first of the sentence) weigh more.

    Words repeated from `question` weigh PREMISE_WEIGHT times as much, unless the
    claim has no word of its own (a yes/no answer restating its question).
    """
    weights: dict[str, float] = {}
    names = _name_stems(claim)
    for stem in tokenize(claim):
        if stem in _FRAMING or stem.isdigit():
            continue
        weights[stem] = max(weights.get(stem, 0.0), NAME_WEIGHT if stem in names else 1.0)
    premise = _premise(weights, question)
    return {stem: weight * PREMISE_WEIGHT if stem in premise else weight for stem, weight in weights.items()}


def _premise(weights: dict[str, float], question: str) -> frozenset[str]:
    """The claim's stems that repeat the question, or none if the claim has no others."""
    asked = _stems_of(question) if question else frozenset()
    repeated = frozenset(stem for stem in weights if stem in asked)
    return repeated if len(repeated) < len(weights) else frozenset()


def _name_stems(text: str) -> set[str]:
    """Stems of capitalised words; a sentence's first word only if it is not a usual opener ("However")."""
    stems = set()
    for match in _WORD.finditer(text):
        word = match.group()
        before = text[: match.start()].rstrip()
        first = not before or before[-1] in '.!?:"“'
        if word[0].isupper() and not (first and word.lower() in _OPENERS):
            stems.update(tokenize(word))
    return stems


_OPENERS = frozenset(
    "yes no however according both neither either while although after before since during despite based "
    "several many some most all each every this that these those there it its their his her they he she we "
    "in on at for from by with as of to if when where what which who whom whose why how".split()
)


@dataclass(frozen=True)
class Candidate:
    """A sentence of a passage: its passage number, its span in the chunk, and whether the model saw it."""

    n: int
    span: tuple[int, int]
    text: str
    shown: bool = True

    @property
    def stems(self) -> frozenset[str]:
        return _stems_of(self.text)

    @property
    def numbers(self) -> frozenset[str]:
        return _numbers_of(self.text)


@cache
def _stems_of(text: str) -> frozenset[str]:
    return frozenset(tokenize(text))


@cache
def _numbers_of(text: str) -> frozenset[str]:
    found = numbers(text)
    return frozenset(found | {_bare(n) for n in found})


_MONTHS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b", re.IGNORECASE
)


def _context_numbers(context: str, claim: str) -> frozenset[str]:
    """Numbers the article's title, outlet and date lend a claim: a day of its date only with its month.

    "reported on November 24" is held by an article of 2023-11-24; "shot down on
    November 11" is not held by an article published on August 11.
    """
    found = _numbers_of(context)
    months = {m.lower() for m in _MONTHS.findall(context)} & {m.lower() for m in _MONTHS.findall(claim)}
    if months:
        return found
    return frozenset(n for n in found if not (n.isdigit() and int(n) <= 31))


def _holds(score: float, missing_numbers: Collection[str], missing_names: Collection[str]) -> bool:
    return not missing_numbers and not missing_names and score >= HOLDS_AT


@dataclass(frozen=True)
class Support:
    """The sentences that hold a claim (or come closest), and how well."""

    quotes: tuple[Candidate, ...]
    score: float  # share of the claim's weighted words held, 0..1
    missing_numbers: tuple[str, ...]
    missing_names: tuple[str, ...] = ()  # stems of names of the claim that the quotes lack

    @property
    def holds(self) -> bool:
        return _holds(self.score, self.missing_numbers, self.missing_names)

    @property
    def passages(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(c.n for c in self.quotes))


def support(
    claim: str, candidates: list[Candidate], context: dict[int, str] | None = None, question: str = ""
) -> Support:
    """The fewest candidate sentences (greedy, at most MAX_QUOTES) that together hold `claim`.

    `context` gives text that counts for a passage's words without being quoted
    (its article's title, outlet and date): "The Verge reported ..." is held by a
    sentence of a Verge article. `question` tells the claim's answer from its premise.
    """
    weights = weighted_words(claim, question)
    names = _name_stems(claim) & weights.keys()  # all must be held: "Vandita said ..." is not held without Vandita
    own_names = {stem for stem in names if weights[stem] == NAME_WEIGHT}  # not from the question: the answer
    wanted_numbers = numbers(claim)
    total = sum(weights.values())
    if not candidates:
        return Support((), 0.0, tuple(sorted(wanted_numbers)), tuple(sorted(names)))
    context_stems = {n: _stems_of(text) for n, text in (context or {}).items()}
    context_numbers = {n: _context_numbers(text, claim) for n, text in (context or {}).items()}

    def covered(chosen: list[Candidate]) -> tuple[float, set[str], set[str]]:
        stems = set().union(*(c.stems | context_stems.get(c.n, frozenset()) for c in chosen))
        held = set().union(*(c.numbers | context_numbers.get(c.n, frozenset()) for c in chosen))
        if seats := {name: seat for name in names - stems if (seat := referents(name))}:  # "Washington": the US
            text = " ".join(f"{c.text} {(context or {}).get(c.n, '')}" for c in chosen)
            stems |= {name for name, seat in seats.items() if mentioned_in(seat, text, frozenset(stems))}
        score = sum(w for stem, w in weights.items() if stem in stems) / total if total else 1.0
        missing = {n for n in wanted_numbers if n not in held and _bare(n) not in held}
        return score, missing, names - stems

    def merit(chosen: list[Candidate]) -> float:
        score, missing, unnamed = covered(chosen)
        # a missing number or name outweighs common words; then names in the quote itself (not only in the
        # article's title) and sentences the model saw are preferred
        own = set().union(*(c.stems for c in chosen))
        named = len(own_names & own) / len(own_names) if own_names else 0.0
        seen = sum(c.shown for c in chosen) / len(chosen)
        return score - len(missing) - 0.5 * len(unnamed) + 0.3 * named + 0.02 * seen

    chosen: list[Candidate] = []
    best = max(candidates, key=lambda c: (merit([c]), len(c.text) > 0))
    chosen.append(best)
    while len(chosen) < MAX_QUOTES:
        if _holds(*covered(chosen)):
            break
        rest = [c for c in candidates if c not in chosen]
        if not rest:
            break
        extra = max(rest, key=lambda c: merit([*chosen, c]))
        if merit([*chosen, extra]) - merit(chosen) < 0.15:  # a second sentence must add a real part of the claim
            break
        chosen.append(extra)
    score, missing, unnamed = covered(chosen)
    return Support(tuple(chosen), round(score, 3), tuple(sorted(missing)), tuple(sorted(unnamed)))
