"""Does a quoted sentence hold a claim? A deterministic scorer, no model.

No NLI or cross-encoder model installs offline here, so support is read off the
words: every number of the claim (a count, an amount, a year, a day) must occur
in the quotes ("November 11" is not held by "last November"); of the claim's other
words, stemmed as BM25 stems them, every name (a capitalised word: who, where,
which outlet), every rare word (by wordfreq's English counts) and a share of the
rest, names weighing double, must occur in the quotes or in the cited article's
title, outlet and date. A claim joining several facts may need several sentences.

Given the question, the claim's own words (its answer: "... is Sam Bankman-Fried")
weigh more than those it repeats from the question (its premise, often spread over
several articles), and quotes that name the answer themselves are preferred. Names
and numbers must be held wherever they come from ("Vandita said ...", "the 2019 final").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cache

from assistant.answering.aliases import mentioned_in, referents
from assistant.text import WORD, name_stems, tokenize

HOLDS_AT = 0.6  # share of the claim's weighted words the quotes must hold
NEAR = 3  # words each side of a name or number that the sentence holding it must mostly hold
CARRIES = 0.3  # share of the claim's words a sentence holds to count as saying it (its negations count)
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
    names = name_stems(claim)
    for stem in tokenize(claim):
        if stem in _FRAMING or stem.isdigit():
            continue
        weights[stem] = max(weights.get(stem, 0.0), NAME_WEIGHT if stem in names else 1.0)
    premise = _premise(weights, question)
    return {stem: weight * PREMISE_WEIGHT if stem in premise else weight for stem, weight in weights.items()}


RARE_BELOW = 3.0  # Zipf frequency (3: once per million words) under which a word is rare: it must be quoted


def _rare_stems(text: str) -> set[str]:
    """Stems of the text's rare words ("jailbreak", a name written in lower case): a paraphrase seldom brings one."""
    return {stem for match in WORD.finditer(text) if _rare(match.group().lower()) for stem in tokenize(match.group())}


@cache
def _rare(word: str) -> bool:
    from wordfreq import zipf_frequency  # its word list loads in 0.2 s, on the first claim checked

    return not word.isdigit() and zipf_frequency(word, "en", wordlist="small") < RARE_BELOW


def _premise(weights: dict[str, float], question: str) -> frozenset[str]:
    """The claim's stems that repeat the question, or none if the claim has no others."""
    asked = _stems_of(question) if question else frozenset()
    repeated = frozenset(stem for stem in weights if stem in asked)
    return repeated if len(repeated) < len(weights) else frozenset()


@dataclass(frozen=True)
class Candidate:
    """A sentence of a passage: its passage number, its span in the chunk, and whether the model saw it."""

    n: int
    span: tuple[int, int]
    text: str
    shown: bool = True
    speaker: str = ""  # who the index says speaks in it: their names count as its own ("The US said ...")

    @property
    def stems(self) -> frozenset[str]:
        return _stems_of(self.text) | _stems_of(self.speaker)

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


def _holds(
    score: float, missing_numbers: Collection[str], missing_names: Collection[str], polarity: bool = True
) -> bool:
    return polarity and not missing_numbers and not missing_names and score >= HOLDS_AT


@dataclass(frozen=True)
class Context:
    """What a passage's article says besides its sentences: its headline, and its outlet and date."""

    title: str = ""
    outlet: str = ""  # lends the claim its name: "The Verge reported ..."
    date: str = ""  # "November 24 2023 2023-11-24": lends its words only next to a reporting word ("reported on")


@dataclass(frozen=True)
class _Anchor:
    """A name or number of the claim, with the claim's words around it: the piece that holds it must hold them too."""

    stem: str  # a name's stem, or a number as `numbers` gives it
    near: frozenset[str]


# where a claim's clauses part: the words around a name are those of its own clause
_CLAUSE_BREAK = re.compile(r"[;,:()—–]|\b(?:and|but|while|whereas|although|though)\b", re.IGNORECASE)


def _anchors(
    claim: str, names: set[str], weights: dict[str, float], premise: frozenset[str] = frozenset()
) -> tuple[dict[str, _Anchor], dict[str, _Anchor]]:
    """Each name and number of the claim with the claim's own content words near it in its clause.

    Words repeated from the question (`premise`) do not count, and a name from the question
    needs words around it only where the claim has it speak: "the Erdogan spokesman said 'We
    welcome ...'" needs the quoted words beside Erdogan; "the Turkey-Russia committees met in
    Moscow" only needs Turkey held.
    """
    by_name: dict[str, _Anchor] = {}
    by_number: dict[str, _Anchor] = {}
    start = 0
    for end in [*(m.start() for m in _CLAUSE_BREAK.finditer(claim)), len(claim)]:
        clause = claim[start:end]
        start = end
        stems = tokenize(clause)
        content = [i for i, stem in enumerate(stems) if stem in weights and stem not in premise]

        runs = _runs(clause)

        def near(
            index: int, stems: list[str] = stems, content: list[int] = content, runs: dict[int, tuple[int, int]] = runs
        ) -> frozenset[str]:
            """The NEAR content words before and after the name at `index` and the rest of its name."""
            first, last = runs.get(index, (index, index))
            before = [stems[i] for i in content if i < first][-NEAR:]
            after = [stems[i] for i in content if i > last][:NEAR]
            return frozenset(before + after)

        for index, stem in enumerate(stems):
            if stem in names and stem not in by_name:
                if stem not in premise:
                    by_name[stem] = _Anchor(stem, near(index) - {stem})
                else:  # a name from the question: tied to what the claim has it say, if it speaks
                    speaks = any(s in _SPEECH for s in stems[index + 1 :])
                    by_name[stem] = _Anchor(stem, near(index) - names if speaks else frozenset())
        for match in _NUMBER.finditer(clause):
            index = len(tokenize(clause[: match.start()]))
            for number in numbers(clause[match.start() : match.end() + 12]) & numbers(claim):
                by_number.setdefault(number, _Anchor(number, near(index)))
    return by_name, by_number


# a run of capitalised words: one name ("Turkish President Recep Tayyip Erdogan"), whose words are not its context
_RUN = re.compile(r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")


def _runs(clause: str) -> dict[int, tuple[int, int]]:
    """For each stem position of the clause inside a run of capitalised words, the run's first and last positions."""
    found: dict[int, tuple[int, int]] = {}
    for match in _RUN.finditer(clause):
        first = len(tokenize(clause[: match.start()]))
        last = first + len(tokenize(match.group())) - 1
        for index in range(first, last + 1):
            found[index] = (first, last)
    return found


_SPEECH = frozenset(tokenize("said says told stated announced added wrote claimed denied insisted warned"))
_REPORTING = frozenset(tokenize("reported report published wrote announced according said says stated updated"))


def _reported_dates(claim: str, names: dict[str, _Anchor], numbers: dict[str, _Anchor]) -> frozenset[str]:
    """The claim's names and numbers next to a reporting word: the ones an article's date may lend."""
    stems = tokenize(claim)
    near: set[str] = set()
    for index, stem in enumerate(stems):
        if stem in _REPORTING:
            near.update(stems[max(0, index - NEAR) : index + NEAR + 1])
    found = {name for name in names if name in near}
    found |= {number for number in numbers if _bare(number) in near or number in near}
    return frozenset(found)


def _anchored(anchor: _Anchor, stems: frozenset[str]) -> bool:
    """Whether a piece holding `anchor` holds at least half of the claim's words around it."""
    return 2 * len(anchor.near & stems) >= len(anchor.near)


# not, n't, never, no, none, nobody, nothing, neither, nor, cannot, without
_NEGATION = re.compile(r"\b(?:not|never|none|nobody|nothing|neither|nor|cannot|without)\b|n't\b|\bno\s+(?=[a-z])")


@cache
def negations(text: str) -> int:
    return len(_NEGATION.findall(text.replace("’", "'")))


# a name after these is a place ("talks in Moscow"), not a government that speaks or acts ("Moscow said")
_PLACE_BEFORE = re.compile(r"\b(?:in|at|to|from|near|into|outside|across|throughout|inside|around)\s+$", re.IGNORECASE)


def _places(claim: str) -> set[str]:
    return {
        stem
        for match in WORD.finditer(claim)
        if match.group()[0].isupper() and _PLACE_BEFORE.search(claim[: match.start()])
        for stem in tokenize(match.group())
    }


@dataclass(frozen=True)
class Support:
    """The sentences that hold a claim (or come closest), and how well."""

    quotes: tuple[Candidate, ...]
    score: float  # share of the claim's weighted words held, 0..1
    missing_numbers: tuple[str, ...]
    missing_names: tuple[str, ...] = ()  # stems of names of the claim that the quotes lack
    polarity: bool = True  # whether the quotes negate what the claim negates, no more, no less
    verdict: float | None = None  # the claim verifier's P(the quotes state the claim), where it read them
    judged: bool | None = None  # whether they hold it, by the rules and the verifier together, where it read them

    @property
    def rules_hold(self) -> bool:
        """Whether the word rules alone find the claim held."""
        return _holds(self.score, self.missing_numbers, self.missing_names, self.polarity)

    @property
    def holds(self) -> bool:
        return self.rules_hold if self.judged is None else self.judged

    @property
    def passages(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(c.n for c in self.quotes))


def support(
    claim: str, candidates: list[Candidate], context: dict[int, Context] | None = None, question: str = ""
) -> Support:
    """The fewest candidate sentences (greedy, at most MAX_QUOTES) that together hold `claim`.

    Each name and number of the claim must be held by a sentence (or the article's title)
    that also holds most of the claim's words around it: "Kalin said 'We welcome ...'" is
    not held by a sentence naming Kalin beside one quoting someone else. `context` gives
    each passage's title, which counts as one more sentence, and its outlet and date, which
    lend names and numbers ("The Verge reported ..." is held by a sentence of a Verge
    article). The claim's negations must be the quotes' ("did not agree" is not held by
    "agreed"). `question` tells the claim's answer from its premise.
    """
    weights = weighted_words(claim, question)
    # all must be held: "Vandita said ..." is not held without Vandita, nor a rare word without it
    names = (name_stems(claim) | _rare_stems(claim)) & weights.keys()
    own_names = {stem for stem in names if weights[stem] == NAME_WEIGHT}  # not from the question: the answer
    wanted_numbers = numbers(claim)
    # a claim made only of the question's words restates it (a yes/no answer): its names need no words around them
    restated = frozenset(weights) if question and set(weights) <= _stems_of(question) else frozenset()
    name_anchors, number_anchors = _anchors(claim, names, weights, _premise(weights, question) | restated)
    places = _places(claim)
    negated = negations(claim)
    total = sum(weights.values())
    if not candidates:
        return Support((), 0.0, tuple(sorted(wanted_numbers)), tuple(sorted(names)))
    context = context or {}
    titles = {n: Candidate(n, (0, 0), c.title) for n, c in context.items() if c.title}

    def share(stems: Collection[str]) -> float:
        """The share of the claim's weighted words among `stems`."""
        return sum(w for stem, w in weights.items() if stem in stems) / total if total else 1.0

    dated = _reported_dates(claim, name_anchors, number_anchors)  # names and numbers the date may lend
    meta_stems = {n: _stems_of(c.outlet) | (_stems_of(c.date) & dated) for n, c in context.items()}
    meta_numbers = {n: _context_numbers(c.date, claim) & dated for n, c in context.items()}

    def covered(chosen: list[Candidate]) -> tuple[float, set[str], set[str], bool]:
        pieces = [*chosen, *(titles[n] for n in dict.fromkeys(c.n for c in chosen) if n in titles)]
        lent = set().union(*(meta_stems.get(c.n, frozenset()) for c in chosen))
        lent_numbers = set().union(*(meta_numbers.get(c.n, frozenset()) for c in chosen))
        stems = set().union(*(p.stems for p in pieces)) | lent
        seated: set[str] = set()  # "Washington" (said) held by a piece naming the US
        if seats := {name: seat for name in names - stems - places if (seat := referents(name))}:
            text = " ".join(p.text for p in pieces)
            seated = {name for name, seat in seats.items() if mentioned_in(seat, text, frozenset(stems))}
            stems |= seated
        # a claim of no words ("Yes.") says nothing a quote could be shown to hold: it cannot be verified
        score = share(stems) if total else float(bool(wanted_numbers))

        def held(anchor: _Anchor, holds: Callable[[Candidate], bool]) -> bool:
            return any(holds(p) and _anchored(anchor, p.stems) for p in pieces)

        unnamed = {
            name
            for name in names - lent - seated
            if not held(name_anchors.get(name, _Anchor(name, frozenset())), _has_stem(name))
        }
        missing = {
            n
            for n in wanted_numbers
            if n not in lent_numbers
            and _bare(n) not in lent_numbers
            and not held(number_anchors.get(n, _Anchor(n, frozenset())), _holds_number(n))
        }
        # the negations of the pieces that hold a real part of the claim, not of one added for its "not"
        carrying = [p for p in pieces if share(p.stems) >= CARRIES]
        polarity = negated == sum(negations(p.text) for p in carrying)
        return score, missing, unnamed, polarity

    def merit(chosen: list[Candidate], polar: bool = True) -> float:
        score, missing, unnamed, polarity = covered(chosen)
        # a missing number or name outweighs common words; then names in the quote itself (not only in the
        # article's title) and sentences the model saw are preferred
        own = set().union(*(c.stems for c in chosen))
        named = len(own_names & own) / len(own_names) if own_names else 0.0
        seen = sum(c.shown for c in chosen) / len(chosen)
        opposed = polar and not polarity
        return score - len(missing) - 0.5 * len(unnamed) - opposed + 0.3 * named + 0.02 * seen

    chosen: list[Candidate] = []
    best = max(candidates, key=lambda c: (merit([c]), len(c.text) > 0))
    chosen.append(best)
    while len(chosen) < MAX_QUOTES:
        if _holds(*covered(chosen)):
            break
        rest = [c for c in candidates if c not in chosen]
        if not rest:
            break
        # a second sentence must add a real part of the claim: a "not" of its own is none
        extra = max(rest, key=lambda c: merit([*chosen, c], polar=False))
        if merit([*chosen, extra], polar=False) - merit(chosen, polar=False) < 0.15:
            break
        chosen.append(extra)
    score, missing, unnamed, polarity = covered(chosen)
    return Support(tuple(chosen), round(score, 3), tuple(sorted(missing)), tuple(sorted(unnamed)), polarity)


def _has_number(piece: Candidate, number: str) -> bool:
    return number in piece.numbers or _bare(number) in piece.numbers


def _has_stem(stem: str) -> Callable[[Candidate], bool]:
    return lambda piece: stem in piece.stems


def _holds_number(number: str) -> Callable[[Candidate], bool]:
    return lambda piece: _has_number(piece, number)
