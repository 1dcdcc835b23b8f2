"""How far `verified` can be trusted: the claim checker on claims made from real sentences, labelled without a model.

    python bench/claims.py [--per-kind 300] [--seed 7] [--cases] [--rules-only] [--words-only] [--threshold T]

Claims come from sentences of the 609 MultiHop-RAG articles and the sample articles, each
cited to the passage (chunk) that holds its sentence, among three other passages (one more
of the same article when it has one, the rest of other articles), as in a prompt.

- true claims: the sentence itself, a shortened sentence (its first clause), two sentences
  of a passage joined, its article's title and the sentence joined, a sentence "according
  to" its own outlet;
- false claims, one thing swapped for another of the same kind (taken from the same
  article where it has one, else from the corpus): the speaker (who said it), a place, a
  date (weekday, month, year), a number, the outlet, the object (a rare word of the
  sentence), a negation added or dropped;
- wrong passage: a true sentence cited to another passage of the prompt; right when the
  checker re-points it to the passage that states it.

Articles are split by a hash of their id: a third ("aside") is kept out of any tuning of
the checker's rules; both parts are reported. Seeded: the same cases every run.
Prints per kind the cases, the share verified and the precision of `verified` against the
true claims the false ones were made from; then precision and recall overall. `verified` is the
checker's with the trained claim verifier (as with ASSISTANT_CLAIM_VERIFIER=true); `--rules-only`
leaves the verifier out, as the default setting does. The verifier never trained on an article of the aside part.
Who said what in each article (`assistant.statements`, as the index keeps it) is given to the checker, as answers
have it; `--words-only` leaves it out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from measure import DATA, ROOT

from assistant.answering.citations import ClaimChecker
from assistant.ingestion.chunking import chunk_article
from assistant.ingestion.files import load_articles
from assistant.judges import ClaimVerifier, claim_verifier
from assistant.records import Article, Chunk, Passage, Statement
from assistant.statements.search import statements_in
from assistant.text import sentence_spans

TRUE_KINDS = ("sentence", "shortened", "joined", "title", "outlet")
SWAPS = ("speaker", "place", "date", "number", "outlet_swap", "object", "negation")

_NAME = r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+"  # two or more capitalised words: a person, mostly
_SPEAKER = re.compile(rf"\b({_NAME}) (?:said|says|told|added|wrote|announced)\b|\bsaid ({_NAME})\b")
_NAMES = re.compile(rf"\b{_NAME}\b")
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTHS = "January February March April May June July August September October November December".split()
_DATE = re.compile(r"\b(" + "|".join(_WEEKDAYS + _MONTHS) + r"|20[12]\d)\b")
_NUMBER = re.compile(r"(?<![\w.,$])\d+(?:\.\d+)?(?![\w.,]\d)")
_AUXILIARY = re.compile(r"\b(is|are|was|were|will|would|can|could|has|have|had|should|must|does|did)\b(?! not\b)")
_NEGATED = re.compile(r"\b(is|are|was|were|will|would|can|could|has|have|had|should|must|does|did|do) not\b")
_WORDS = re.compile(r"\b[a-z]{6,}\b")
PLACES = (
    "Afghanistan Argentina Australia Austria Belgium Brazil Britain Canada Chile China Colombia Cuba Denmark Egypt "
    "England Ethiopia Finland France Germany Greece Hungary India Indonesia Iran Iraq Ireland Israel Italy Japan "
    "Jordan Kenya Lebanon Libya Mexico Morocco Netherlands Nigeria Norway Pakistan Peru Poland Portugal Qatar "
    "Romania Russia Scotland Singapore Spain Sweden Switzerland Syria Taiwan Thailand Turkey Ukraine Venezuela "
    "Vietnam Yemen Gaza Europe Africa Asia London Paris Berlin Moscow Beijing Tokyo Washington Ankara Kyiv Kiev "
    "Jerusalem Brussels Geneva Rome Madrid Dubai Istanbul Aleppo Damascus Tehran Baghdad Cairo Delhi Mumbai Sydney "
    "Toronto Chicago Boston Seattle Miami Atlanta Dallas Houston Denver Phoenix Detroit Philadelphia Manhattan "
    "Brooklyn California Texas Florida Ohio Michigan Georgia Arizona Nevada Virginia Massachusetts Pennsylvania "
    "Illinois Oregon Colorado Minnesota Wisconsin Tennessee Louisiana Alabama Kentucky Iowa Utah"
).split()
_PLACE = re.compile(r"\b(" + "|".join(PLACES) + r")\b")


@dataclass
class Case:
    kind: str
    part: str  # "dev" or "aside"
    claim: str
    passages: list[Passage]
    cited: int  # the passage number the claim cites
    truth: int | None  # the passage that states it (None: no passage does)
    origin: str = ""  # the true claim a false one was made from


def part_of(doc_id: str) -> str:
    return "aside" if int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 3 == 0 else "dev"


def articles() -> list[Article]:
    found = [a for a in load_articles([DATA / "all_corpus.jsonl"]) if isinstance(a, Article)]
    found += [a for a in load_articles([ROOT / "examples" / "articles"]) if isinstance(a, Article)]
    return found


def passage(article: Article, chunk: Chunk) -> Passage:
    return Passage(chunk=chunk, **article.article_fields())


def sentences(chunk: Chunk) -> list[str]:
    found = []
    for start, end in sentence_spans(chunk.text):
        text = chunk.text[start:end].strip()
        words = len(text.split())
        if 8 <= words <= 45 and text[-1:] in '."”' and text[0].isupper() and "\n" not in text:
            found.append(text)
    return found


class Generator:
    def __init__(self, corpus: list[Article], seed: int) -> None:
        self.random = random.Random(seed)
        self.chunks = {a.doc_id: chunk_article(a, 1000, 200) for a in corpus}
        self.by_id = {a.doc_id: a for a in corpus}
        self.ids = sorted(self.chunks)
        self.outlets = sorted({a.source for a in corpus if a.source})
        self.corpus_names = sorted({n for a in corpus for n in _NAMES.findall(a.text)})
        self.corpus_numbers = [str(n) for n in range(2, 500)]

    def prompt(self, doc_id: str, chunk: Chunk) -> tuple[list[Passage], int]:
        """The chunk among three others (one of its article if there is one); its number in the prompt."""
        article = self.by_id[doc_id]
        same = [c for c in self.chunks[doc_id] if c.chunk_id != chunk.chunk_id and c.text not in chunk.text]
        others = [(article, c) for c in self.random.sample(same, min(1, len(same)))]
        while len(others) < 3:
            other = self.by_id[self.random.choice(self.ids)]
            if other.doc_id != doc_id and self.chunks[other.doc_id]:
                others.append((other, self.random.choice(self.chunks[other.doc_id])))
        chosen = [(article, chunk), *others]
        self.random.shuffle(chosen)
        position = next(i for i, (_, c) in enumerate(chosen, 1) if c is chunk)
        return [passage(a, c) for a, c in chosen], position

    def cases(self, per_kind: int) -> list[Case]:
        made: dict[str, list[Case]] = defaultdict(list)
        kinds: dict[str, Callable[[Article, Chunk, str, list[str]], tuple[str, str] | None]] = {
            "shortened": self._shortened,
            "joined": self._joined,
            "title": self._title,
            "outlet": self._outlet,
            "speaker": self._speaker,
            "place": self._place,
            "date": self._date,
            "number": self._number,
            "outlet_swap": self._outlet_swap,
            "object": self._object,
            "negation": self._negation,
        }
        pool = [(doc_id, chunk) for doc_id in self.ids for chunk in self.chunks[doc_id]]
        self.random.shuffle(pool)
        for doc_id, chunk in pool:
            article, part = self.by_id[doc_id], part_of(doc_id)
            found = sentences(chunk)
            if not found:
                continue
            sentence = self.random.choice(found)
            if len(made["sentence"]) < per_kind:
                passages, n = self.prompt(doc_id, chunk)
                made["sentence"].append(Case("sentence", part, sentence, passages, n, n, sentence))
            if len(made["wrong_passage"]) < per_kind:
                passages, n = self.prompt(doc_id, chunk)
                wrong = self.random.choice([i for i in range(1, len(passages) + 1) if i != n])
                if sentence not in passages[wrong - 1].chunk.text:
                    made["wrong_passage"].append(Case("wrong_passage", part, sentence, passages, wrong, n, sentence))
            for kind, make in kinds.items():
                if len(made[kind]) >= per_kind:
                    continue
                tries = (make(article, chunk, one, found) for one in self.random.sample(found, len(found)))
                result = next((r for r in tries if r is not None), None)
                if result is None:
                    continue
                claim, origin = result
                passages, n = self.prompt(doc_id, chunk)
                truth = n if kind in TRUE_KINDS else None
                made[kind].append(Case(kind, part, claim, passages, n, truth, origin))
            if all(len(made[k]) >= per_kind for k in ("sentence", "wrong_passage", *kinds)):
                break
        return [case for kind in made for case in made[kind]]

    # --- true claims --------------------------------------------------------------------------
    def _shortened(self, article: Article, chunk: Chunk, sentence: str, found: list[str]) -> tuple[str, str] | None:
        cut = sentence.find(", ", len(" ".join(sentence.split()[:6])))
        if cut == -1 or len(sentence[:cut].split()) < 6 or sentence.count('"') % 2 or '"' in sentence[:cut]:
            return None
        return sentence[:cut] + ".", sentence

    def _joined(self, article: Article, chunk: Chunk, sentence: str, found: list[str]) -> tuple[str, str] | None:
        index = found.index(sentence)
        if index + 1 >= len(found):
            return None
        second = found[index + 1]
        return f"{sentence.rstrip('.')}; {second[0].lower()}{second[1:]}", sentence

    def _title(self, article: Article, chunk: Chunk, sentence: str, found: list[str]) -> tuple[str, str] | None:
        """The headline's statement and the sentence's, joined: the title holds one part, the sentence the other."""
        title = article.title.strip().rstrip(".")
        if len(title.split()) < 4 or "?" in title or title in chunk.text:
            return None
        return f"{title}; {sentence[0].lower()}{sentence[1:]}", sentence

    def _outlet(self, article: Article, chunk: Chunk, sentence: str, found: list[str]) -> tuple[str, str] | None:
        if not article.source:
            return None
        return f"According to {article.source}, {sentence[0].lower()}{sentence[1:]}", sentence

    # --- false claims -------------------------------------------------------------------------
    def _swap(self, sentence: str, match: re.Match[str], group: int, choices: list[str]) -> str | None:
        old = match.group(group)
        options = [c for c in choices if c != old and c not in sentence and old not in c and c not in old]
        if not options:
            return None
        start, end = match.span(group)
        return sentence[:start] + self.random.choice(options) + sentence[end:]

    def _from_article(self, pattern: re.Pattern[str], article: Article, corpus: list[str]) -> list[str]:
        local = sorted(set(pattern.findall(article.text)))
        return local if len(local) >= 2 else corpus

    def _speaker(self, article: Article, chunk: Chunk, sentence: str, found: list[str]) -> tuple[str, str] | None:
        match = _SPEAKER.search(sentence)
        if not match:
            return None
        group = 1 if match.group(1) else 2
        said_by = set(match.group(group).split())  # "Gary Wang" for "But Wang says" may be the same person
        names = [n for n in self._from_article(_NAMES, article, self.corpus_names) if not said_by & set(n.split())]
        swapped = self._swap(sentence, match, group, names)
        return (swapped, sentence) if swapped else None

    def _place(self, article: Article, chunk: Chunk, sentence: str, found: list[str]) -> tuple[str, str] | None:
        match = _PLACE.search(sentence)
        if not match:
            return None
        swapped = self._swap(sentence, match, 1, self._from_article(_PLACE, article, PLACES))
        return (swapped, sentence) if swapped else None

    def _date(self, article: Article, chunk: Chunk, sentence: str, found: list[str]) -> tuple[str, str] | None:
        match = _DATE.search(sentence)
        if not match:
            return None
        old = match.group(1)
        kind = _WEEKDAYS if old in _WEEKDAYS else _MONTHS if old in _MONTHS else [str(y) for y in range(2010, 2025)]
        swapped = self._swap(sentence, match, 1, kind)
        return (swapped, sentence) if swapped else None

    def _number(self, article: Article, chunk: Chunk, sentence: str, found: list[str]) -> tuple[str, str] | None:
        matches = [m for m in _NUMBER.finditer(sentence) if not re.fullmatch(r"20[12]\d|19\d\d", m.group())]
        if not matches:
            return None
        match = self.random.choice(matches)
        local = [n for n in sorted(set(_NUMBER.findall(article.text))) if n not in re.findall(r"\d+", sentence)]
        swapped = self._swap(sentence, match, 0, local if len(local) >= 2 else self.corpus_numbers)
        return (swapped, sentence) if swapped else None

    def _outlet_swap(self, article: Article, chunk: Chunk, sentence: str, found: list[str]) -> tuple[str, str] | None:
        others = [o for o in self.outlets if o != article.source and o not in article.text]
        if not article.source or not others:
            return None
        other = self.random.choice(others)
        return f"According to {other}, {sentence[0].lower()}{sentence[1:]}", sentence

    def _object(self, article: Article, chunk: Chunk, sentence: str, found: list[str]) -> tuple[str, str] | None:
        words = [m for m in _WORDS.finditer(sentence) if m.start() > len(sentence) // 3]
        if not words:
            return None
        match = self.random.choice(words)
        local = [w for w in sorted(set(_WORDS.findall(article.text))) if w not in chunk.text]
        swapped = self._swap(sentence, match, 0, local)
        return (swapped, sentence) if swapped else None

    def _negation(self, article: Article, chunk: Chunk, sentence: str, found: list[str]) -> tuple[str, str] | None:
        if negated := _NEGATED.search(sentence):
            return sentence[: negated.end(1)] + sentence[negated.end() :], sentence
        if "n't" in sentence:
            return sentence.replace("n't", "", 1).replace("wo ", "will ", 1).replace("ca ", "can ", 1), sentence
        match = _AUXILIARY.search(sentence)
        if not match:
            return None
        return sentence[: match.end()] + " not" + sentence[match.end() :], sentence


@dataclass
class Outcome:
    case: Case
    verified: bool  # the claim is held, by the passage it ends up citing
    cites: tuple[int, ...]
    repointed: bool
    verdict: float | None = None  # the verifier's probability for the quotes it ends up citing
    rules: bool | None = None  # whether the word rules alone hold it with those quotes


def judge(case: Case, verifier: ClaimVerifier | None, said: dict[str, list[Statement]] | None = None) -> Outcome:
    """`said`: who said what in the articles (as the index keeps it), for the speaker check; None: words only."""
    statements = {p.chunk.doc_id: said[p.chunk.doc_id] for p in case.passages} if said is not None else None
    checker = ClaimChecker(case.passages, verifier=verifier, statements=statements)
    checked = checker.check(f"{case.claim} [{case.cited}]")
    found = checked.support
    verdict, rules = (found.verdict, found.rules_hold) if found else (None, None)
    return Outcome(case, checked.held, checked.claim.cites, bool(checked.corrected), verdict, rules)


def table(outcomes: list[Outcome]) -> dict[str, dict[str, float | int]]:
    """Per kind: cases, share verified; for swaps, precision against the true sentences they came from."""
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.case.kind].append(outcome)
    sentence_rate = _share(by_kind["sentence"])
    rows: dict[str, dict[str, float | int]] = {}
    for kind, items in by_kind.items():
        row: dict[str, float | int] = {"cases": len(items), "verified": round(_share(items), 3)}
        if kind in SWAPS:  # as many true claims as false ones, verified at the rate of true sentences
            false_rate = _share(items)
            row["precision"] = round(sentence_rate / (sentence_rate + false_rate), 3) if sentence_rate else 0.0
        if kind == "wrong_passage":
            right = [o for o in items if o.verified and o.cites == (o.case.truth,)]
            row["repointed_right"] = round(len(right) / len(items), 3)
        rows[kind] = row
    true = [o for o in outcomes if o.case.kind in TRUE_KINDS or o.case.kind == "sentence"]
    false = [o for o in outcomes if o.case.kind in SWAPS]
    tp = sum(o.verified and o.case.truth in o.cites for o in true)
    fp = sum(o.verified for o in false)
    acted = [o for o in outcomes if o.repointed and o.case.truth is not None]
    rows["all"] = {
        "cases": len(outcomes),
        "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
        "recall": round(tp / len(true), 3) if true else 0.0,
        "repointing_right_when_it_acts": round(
            sum(o.verified and o.cites == (o.case.truth,) for o in acted) / len(acted), 3
        )
        if acted
        else 0.0,
        "repointing_acts": len(acted),
    }
    return rows


def _share(items: list[Outcome]) -> float:
    return sum(o.verified for o in items) / len(items) if items else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-kind", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cases", type=Path, help="also write every case and its outcome (JSONL) here")
    parser.add_argument("--rules-only", action="store_true", help="the word rules without the claim verifier")
    parser.add_argument("--words-only", action="store_true", help="without who said what (the speaker check)")
    parser.add_argument("--threshold", type=float, help="the verifier's threshold (default: its card's)")
    parser.add_argument("--rescue-at", type=float, help="the verifier's rescue threshold (default: its card's)")
    args = parser.parse_args()
    cases = Generator(articles(), args.seed).cases(args.per_kind)
    verifier = None if args.rules_only else claim_verifier()
    if verifier and args.threshold is not None:
        verifier.threshold = args.threshold
    if verifier and args.rescue_at is not None:
        verifier.rescue_at = args.rescue_at
    said = None if args.words_only else {article.doc_id: statements_in(article) for article in articles()}
    outcomes = [judge(case, verifier, said) for case in cases]
    report = {part: table([o for o in outcomes if o.case.part == part]) for part in ("dev", "aside")}
    if args.cases:
        with args.cases.open("w") as out:
            for o in outcomes:
                row = {"kind": o.case.kind, "part": o.case.part, "claim": o.case.claim, "origin": o.case.origin}
                row |= {"cited": o.case.cited, "truth": o.case.truth, "verified": o.verified, "cites": o.cites}
                row |= {"verdict": o.verdict, "rules": o.rules}
                out.write(json.dumps(row) + "\n")
    for part, rows in report.items():
        print(f"\n{part}: {'kind':<14} {'cases':>6} {'verified':>9} {'precision':>10}", file=sys.stderr)
        for kind, row in rows.items():
            if kind != "all":
                print(
                    f"{'':>{len(part) + 2}}{kind:<14} {row['cases']:>6} {row['verified']:>9} "
                    f"{row.get('precision', row.get('repointed_right', '')):>10}",
                    file=sys.stderr,
                )
        print(f"{'':>{len(part) + 2}}all: {json.dumps(rows['all'])}", file=sys.stderr)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
