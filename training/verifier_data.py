"""Training pairs for the claim verifier: (claim, evidence) -> does the evidence state the claim?

    python training/verifier_data.py OUT.jsonl [--seed 37] [--paraphrases training/data/paraphrases.jsonl]

Made only from the articles a model may learn from: those of `train_articles.txt` that the
claim benchmark (`bench/claims.py`) does not keep aside, and the sample articles it does not
keep aside. A tenth of those articles (by a hash of their id) is the validation split.

The evidence is what the verifier reads at run time (`evidence_text`): the article's outlet,
date and title, then the quoted sentence first and up to two more of its passage.

- true: the sentence itself; a later clause of it alone ("..., with Turkey alone sheltering 2.7
  million Syrians" -> "Turkey alone sheltering 2.7 million Syrians."); shortened, joined with the
  next, joined with its title, "according to" its outlet (the benchmark's makers); and reworded
  by rules so that a true claim is often worded unlike its passage: contractions both ways,
  synonyms, the attribution moved or dropped, a small number spelled out, "%" and "percent", a
  framing ("The article reports that ...").
  A sentence that says "not" (as written, or its contraction undone or made), so that "not" is no
  tell; two sentences of two articles joined, shown with both articles (an answer joining facts).
- false: the benchmark's swaps (speaker, place, date, number, outlet, object, negation added or
  dropped), and harder ones whose false part is already in the passage: a name, number or word of
  the same passage swapped in, two names exchanging roles, an antonym; the same swaps made on a
  reworded claim or a later clause (so that rewording is no tell); and a true sentence shown with other sentences
  of its article, those sharing most words with it (the evidence does not state it); two articles'
sentences joined, shown with one article only.

With `--paraphrases` (`training/paraphrases.py`: the embedded model's rewordings of training
sentences), those that pass `faithful` are true claims worded as a writer words them
(`paraphrase`), and the same with one thing of the passage swapped in are false
(`paraphrase_swap`), so that neither wording nor a word of the passage is a tell. Tried with 313
of them: not shipped (docs/judges.md, "Paraphrases as positives").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from answer_data import multihop_training_articles  # noqa: E402
from claims import _NAMES, _NUMBER, Generator, part_of, sentences  # noqa: E402

from assistant.ingestion.files import load_articles  # noqa: E402
from assistant.judges.verifier import evidence_text  # noqa: E402
from assistant.records import Article, Chunk  # noqa: E402
from assistant.text import tokenize  # noqa: E402

# (kind, true?, cases per sentence pool pass): how many of each kind to make
KINDS: dict[str, tuple[bool, int]] = {
    "sentence": (True, 2400),
    "shortened": (True, 1100),
    "joined": (True, 1100),
    "title": (True, 700),
    "outlet": (True, 700),
    "reworded": (True, 4000),
    "negated": (True, 1200),
    "clause": (True, 1500),
    "two_articles": (True, 600),
    "speaker": (False, 600),
    "roles": (False, 500),
    "place": (False, 600),
    "date": (False, 500),
    "number": (False, 500),
    "local_number": (False, 900),
    "local_name": (False, 700),
    "outlet_swap": (False, 500),
    "object": (False, 500),
    "local_word": (False, 900),
    "negation": (False, 1300),
    "antonym": (False, 700),
    "reworded_swap": (False, 1300),
    "wrong_evidence": (False, 1500),
    "half_stated": (False, 500),
    "clause_swap": (False, 800),
}

CONTRACTIONS = {
    "does not": "doesn't", "do not": "don't", "did not": "didn't", "is not": "isn't", "are not": "aren't",
    "was not": "wasn't", "were not": "weren't", "has not": "hasn't", "have not": "haven't", "had not": "hadn't",
    "will not": "won't", "would not": "wouldn't", "cannot": "can't", "could not": "couldn't",
    "should not": "shouldn't", "it is": "it's", "they are": "they're", "we are": "we're", "that is": "that's",
}  # fmt: skip
SYNONYMS = {
    "said": "stated", "says": "states", "stated": "said", "noted": "said", "told": "informed", "added": "said",
    "about": "approximately", "approximately": "about", "roughly": "about", "around": "about",
    "more than": "over", "over": "more than", "nearly": "almost", "almost": "nearly",
    "buy": "purchase", "bought": "purchased", "purchased": "bought", "start": "begin", "started": "began",
    "began": "started", "big": "large", "large": "big", "help": "assist", "helped": "assisted",
    "show": "indicate", "showed": "indicated", "shows": "indicates", "use": "utilize", "used": "utilized",
    "company": "firm", "firm": "company", "people": "individuals", "need": "require", "needs": "requires",
    "plans to": "intends to", "wants to": "aims to", "increased": "rose", "rose": "increased",
    "decreased": "fell", "fell": "decreased", "however": "but", "also": "additionally", "because": "since",
    "announced": "revealed", "revealed": "announced", "reported": "said", "expected": "anticipated",
    "currently": "now", "recently": "lately", "major": "significant", "important": "key", "key": "important",
    "quickly": "rapidly", "fast": "quick", "car": "vehicle", "cars": "vehicles", "job": "position",
    "government": "administration", "received": "got", "got": "received", "made": "created",
    "according to": "as reported by", "percent": "%", "%": " percent", "U.S.": "US", "US": "U.S.",
}  # fmt: skip
ANTONYMS = {
    "increase": "decrease", "increased": "decreased", "increases": "decreases", "rise": "fall", "rose": "fell",
    "rising": "falling", "won": "lost", "win": "lose", "wins": "loses", "higher": "lower", "more": "fewer",
    "most": "least", "before": "after", "approved": "rejected", "accepted": "rejected", "allowed": "banned",
    "gain": "loss", "gained": "lost", "highest": "lowest", "largest": "smallest", "first": "last",
    "positive": "negative", "strong": "weak", "stronger": "weaker", "opened": "closed", "support": "oppose",
    "supported": "opposed", "agreed": "refused", "ahead": "behind", "earlier": "later", "profit": "loss",
    "bought": "sold", "buy": "sell", "above": "below", "better": "worse", "best": "worst", "joined": "left",
    "hired": "fired", "started": "ended", "up": "down", "success": "failure", "successful": "unsuccessful",
    "easy": "hard", "cheaper": "pricier", "expensive": "cheap", "young": "old", "new": "old", "always": "never",
    "include": "exclude", "included": "excluded", "inside": "outside", "north": "south", "east": "west",
    "victory": "defeat", "beat": "lost to", "entered": "left", "boosted": "cut",
}  # fmt: skip
ANTONYMS |= {b: a for a, b in ANTONYMS.items() if b not in ANTONYMS and " " not in b}
FRAMES = (
    "The article reports that {}", "According to the article, {}", "It was reported that {}", "Yes, {}",
    "The report says that {}", "{}",
)  # fmt: skip
_DIGIT_WORDS = "zero one two three four five six seven eight nine ten".split()
_ATTRIBUTION_TAIL = re.compile(r",\s+(?:he|she|they|it|[A-Z][\w.]*(?:\s+[A-Z][\w.]*)*)\s+(?:said|says|added|noted)\.$")
_SAID_FIRST = re.compile(r"^([A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,4})\s+(said|says|stated|told \w+)\s+(?:that\s+)?(.+)$")
_CONTENT = re.compile(r"\b[a-z]{6,}\b")


def training_articles() -> list[Article]:
    found = multihop_training_articles()
    found += [a for a in load_articles([ROOT / "examples" / "articles"]) if isinstance(a, Article)]
    return [a for a in found if part_of(a.doc_id) == "dev"]  # the benchmark's aside part is never trained on


def split_of(doc_id: str) -> str:
    return "valid" if int(hashlib.sha1(f"valid:{doc_id}".encode()).hexdigest(), 16) % 10 == 0 else "train"


def _replace_word(text: str, old: str, new: str) -> str:
    """`text` with the first whole-word `old` replaced by `new`, keeping a capital initial."""
    match = re.search(rf"(?<![\w$]){re.escape(old)}(?!\w)", text, re.IGNORECASE)
    if not match:
        return text
    found = match.group()
    if found[:1].isupper() and new[:1].islower():
        new = new[:1].upper() + new[1:]
    return text[: match.start()] + new + text[match.end() :]


class Maker:
    """Makes the verifier's cases from one pool of training articles."""

    def __init__(self, corpus: list[Article], seed: int) -> None:
        self.random = random.Random(seed)
        self.bench = Generator(corpus, seed)  # the benchmark's makers, over these articles only
        self.bench.random = self.random
        self.by_id = {a.doc_id: a for a in corpus}

    # --- evidence -----------------------------------------------------------------------------
    def evidence(self, article: Article, first: list[str], chunk: Chunk, extra: int | None = None) -> str:
        """`first` (the sentences that state the claim), then up to two more of the passage."""
        others = [s for s in sentences(chunk) if s not in first]
        extra = self.random.choice((0, 0, 1, 1, 2)) if extra is None else extra
        chosen = [*first, *self.random.sample(others, min(extra, len(others)))]
        return evidence_text(chosen, article.title, article.source, article.published_at)

    def closest_others(self, article: Article, sentence: str, chunks: list[Chunk]) -> list[str]:
        """Sentences of the article sharing most words with `sentence` without being it (nor near it)."""
        own = set(tokenize(sentence))
        pool = {s for c in chunks for s in sentences(c)}
        scored = []
        for other in pool:
            words = set(tokenize(other))
            overlap = len(own & words) / max(len(own | words), 1)
            if other != sentence and sentence not in other and other not in sentence and overlap < 0.5:
                scored.append((overlap, other))
        scored.sort(reverse=True)
        return [s for _, s in scored[:3]]

    # --- true claims worded unlike the passage ------------------------------------------------
    def reworded(self, sentence: str) -> str | None:
        steps: list[Callable[[str], str]] = [self._contract, self._synonym, self._synonym, self._move_attribution]
        steps += [self._drop_attribution, self._spell_number, self._frame]
        text = sentence
        for step in self.random.sample(steps, self.random.choice((1, 2, 2, 3))):
            text = step(text)
        return text if text != sentence else None

    def _contract(self, text: str) -> str:
        pairs = list(CONTRACTIONS.items()) + [(b, a) for a, b in CONTRACTIONS.items()]
        self.random.shuffle(pairs)
        for old, new in pairs:
            changed = _replace_word(text, old, new)
            if changed != text:
                return changed
        return text

    def _synonym(self, text: str) -> str:
        options = [(old, new) for old, new in SYNONYMS.items() if re.search(rf"(?<!\w){re.escape(old)}(?!\w)", text)]
        if not options:
            return text
        old, new = self.random.choice(options)
        return re.sub(r"\s+%", "%", _replace_word(text, old, new)) if new == "%" else _replace_word(text, old, new)

    def _move_attribution(self, text: str) -> str:
        """ "A, X said." -> "X said that a." and "X said that A." -> "A, according to X.";"""
        if match := _ATTRIBUTION_TAIL.search(text):
            speaker = match.group().strip(",. ").rsplit(" ", 1)[0]
            body = text[: match.start()]
            if speaker.lower() in ("he", "she", "they", "it") or not body:
                return text
            return f"{speaker} said that {body[0].lower()}{body[1:]}."
        if match := _SAID_FIRST.match(text):
            speaker, body = match.group(1), match.group(3).rstrip(".")
            if speaker.split()[0] in ("The", "A", "It", "This", "That", "He", "She", "They", "We", "I"):
                return text
            return f"{body[0].upper()}{body[1:]}, according to {speaker}."
        return text

    def _drop_attribution(self, text: str) -> str:
        if match := _ATTRIBUTION_TAIL.search(text):
            return text[: match.start()] + "."
        return text

    def _spell_number(self, text: str) -> str:
        match = re.search(r"(?<![\w.,$])([2-9]|10)(?![\w.,%])", text)
        if not match:
            return text
        return text[: match.start()] + _DIGIT_WORDS[int(match.group())] + text[match.end() :]

    def _frame(self, text: str) -> str:
        frame = self.random.choice(FRAMES)
        return frame.format(text[0].lower() + text[1:] if frame != "{}" and not _starts_with_name(text) else text)

    def clause(self, sentence: str) -> str | None:
        """A later clause of the sentence, alone: what an answer often takes from a long sentence."""
        cuts = [m for m in _CLAUSE_CUT.finditer(sentence) if m.start() > 20]
        if not cuts:
            return None
        tail = sentence[self.random.choice(cuts).end() :].strip()
        if len(tail.split()) < 5 or tail.count('"') % 2 or tail.count("“") != tail.count("”"):
            return None
        return tail[0].upper() + tail[1:]

    # --- false claims whose false part is in the passage --------------------------------------
    def local_number(self, sentence: str, chunk: Chunk) -> str | None:
        numbers = [m for m in _NUMBER.finditer(sentence) if not re.fullmatch(r"20[12]\d|19\d\d", m.group())]
        if not numbers:
            return None
        match = self.random.choice(numbers)
        others = sorted({n for n in _NUMBER.findall(chunk.text) if n not in re.findall(r"\d+(?:\.\d+)?", sentence)})
        if not others:  # 2.7 -> 3.7, 40 -> 50: a near number
            value = match.group()
            step = 1 if "." in value else max(1, round(float(value) * 0.25))
            others = [str(round(float(value) + step, 1 if "." in value else None))]
        return sentence[: match.start()] + self.random.choice(others) + sentence[match.end() :]

    def local_name(self, sentence: str, chunk: Chunk) -> str | None:
        names = _NAMES.findall(sentence)
        others = sorted({n for n in _NAMES.findall(chunk.text) if n not in sentence})
        if not names or not others:
            return None
        old = self.random.choice(names)
        others = [n for n in others if old not in n and n not in old]
        return sentence.replace(old, self.random.choice(others), 1) if others else None

    def roles(self, sentence: str, chunk: Chunk) -> str | None:
        names = list(dict.fromkeys(_NAMES.findall(sentence)))
        if len(names) < 2:
            single = re.findall(r"(?<=\s)[A-Z][a-z]{2,}\b", sentence)
            names = list(dict.fromkeys(single))
        if len(names) < 2:
            return None
        a, b = self.random.sample(names, 2)
        if a in b or b in a:
            return None
        swapped = sentence.replace(a, "\0").replace(b, a).replace("\0", b)
        return swapped if swapped != sentence else None

    def local_word(self, sentence: str, chunk: Chunk) -> str | None:
        words = [m for m in _CONTENT.finditer(sentence) if m.start() > len(sentence) // 4]
        pool = sorted({w for w in _CONTENT.findall(chunk.text) if w not in sentence})
        if not words or not pool:
            return None
        match = self.random.choice(words)
        return sentence[: match.start()] + self.random.choice(pool) + sentence[match.end() :]

    def antonym(self, sentence: str, chunk: Chunk) -> str | None:
        options = [w for w in ANTONYMS if re.search(rf"\b{w}\b", sentence, re.IGNORECASE)]
        if not options:
            return None
        word = self.random.choice(options)
        return _replace_word(sentence, word, ANTONYMS[word])

    def swapped(self, claim: str, chunk: Chunk) -> str | None:
        """`claim` with one thing of the passage swapped in: the first of the swaps, in random order, that applies."""
        swaps = [self.local_number, self.local_name, self.local_word, self.antonym, self.roles]
        for swap in self.random.sample(swaps, len(swaps)):
            if (false := swap(claim, chunk)) and false != claim:
                return false
        return None

    # --- all of them ----------------------------------------------------------------------------
    def cases(self, articles: list[Article]) -> list[dict[str, object]]:
        made: Counter[str] = Counter()

        def wanted(kind: str) -> bool:
            return made[kind] < KINDS[kind][1]

        rows: list[dict[str, object]] = []
        pool = [(a, c) for a in articles for c in self.bench.chunks[a.doc_id]]
        bench = self.bench
        benchmark_makers = {
            "shortened": bench._shortened, "joined": bench._joined, "title": bench._title,
            "outlet": bench._outlet, "speaker": bench._speaker, "place": bench._place, "date": bench._date,
            "number": bench._number, "outlet_swap": bench._outlet_swap, "object": bench._object,
            "negation": bench._negation,
        }  # fmt: skip
        local_makers = {
            "local_number": self.local_number, "local_name": self.local_name, "roles": self.roles,
            "local_word": self.local_word, "antonym": self.antonym,
        }  # fmt: skip
        for _ in range(6):  # passes over the pool until each kind has its count (or the pool runs dry)
            self.random.shuffle(pool)
            for article, chunk in pool:
                found = sentences(chunk)
                if not found:
                    continue

                def add(kind: str, claim: str, evidence: str, doc_id: str = article.doc_id) -> None:
                    rows.append({"claim": claim, "evidence": evidence, "label": int(KINDS[kind][0]), "kind": kind,
                                 "doc_id": doc_id, "split": split_of(doc_id)})  # fmt: skip
                    made[kind] += 1

                sentence = self.random.choice(found)
                if wanted("sentence"):
                    add("sentence", sentence, self.evidence(article, [sentence], chunk))
                for kind, make in benchmark_makers.items():
                    if wanted(kind) and (result := make(article, chunk, sentence, found)):
                        claim, origin = result
                        first = [origin, found[found.index(origin) + 1]] if kind == "joined" else [origin]
                        add(kind, claim, self.evidence(article, first, chunk, extra=0 if kind == "joined" else None))
                for kind, local in local_makers.items():
                    if wanted(kind) and (claim := local(sentence, chunk)):
                        add(kind, claim, self.evidence(article, [sentence], chunk))
                if wanted("clause") and (claim := self.clause(sentence)):
                    add("clause", claim, self.evidence(article, [sentence], chunk))
                if wanted("clause_swap") and (claim := self.clause(sentence)) and (false := self.swapped(claim, chunk)):
                    add("clause_swap", false, self.evidence(article, [sentence], chunk))
                if wanted("reworded") and (claim := self.reworded(sentence)):
                    add("reworded", claim, self.evidence(article, [sentence], chunk))
                if (
                    wanted("reworded_swap")
                    and (claim := self.reworded(sentence))
                    and (false := self.swapped(claim, chunk))
                ):
                    add("reworded_swap", false, self.evidence(article, [sentence], chunk))
                if wanted("negated") and (said := [s for s in found if _NEGATION.search(s)]):
                    one = self.random.choice(said)
                    claim = self._contract(one) if self.random.random() < 0.5 else one
                    add("negated", claim, self.evidence(article, [one], chunk))
                if wanted("two_articles") or wanted("half_stated"):
                    other, other_chunk = self.random.choice(pool)
                    second = [s for s in sentences(other_chunk) if len(s.split()) <= 22]  # both fit the input
                    if other.doc_id != article.doc_id and second and len(sentence.split()) <= 22:
                        second_sentence = self.random.choice(second)
                        two = _outlet_said(other, second_sentence)
                        two = two if _starts_with_name(two) else two[0].lower() + two[1:]
                        claim = f"{_outlet_said(article, sentence)}, and {two}."
                        here = self.evidence(article, [sentence], chunk, extra=0)
                        there = self.evidence(other, [second_sentence], other_chunk, extra=0)
                        if wanted("two_articles"):
                            add("two_articles", claim, f"{here} {there}")
                        elif wanted("half_stated"):
                            add("half_stated", claim, self.random.choice((here, there)))
                if wanted("wrong_evidence"):
                    others = self.closest_others(article, sentence, bench.chunks[article.doc_id])
                    if others:
                        claim = self.reworded(sentence) or sentence if self.random.random() < 0.4 else sentence
                        shown = others[: self.random.choice((1, 1, 2, 3))]
                        add("wrong_evidence", claim, evidence_text(shown, article.title, article.source,
                                                                   article.published_at))  # fmt: skip
            if all(not wanted(kind) for kind in KINDS):
                break
        return rows


# where a later clause starts: ", with ...", ", while ...", "; ...", ", who ...", ", saying ..."
_CLAUSE_CUT = re.compile(
    r"(?:,\s+|;\s+)(?:with|while|and|but|which|who|as|after|adding that|saying that|saying|adding|although)?\s*"
)
_NEGATION = re.compile(r"\b(not|never|no)\b|n't\b")


def _outlet_said(article: Article, sentence: str) -> str:
    """ "The Verge reported that ..." (or the sentence alone for an article without an outlet), no full stop."""
    body = sentence.rstrip(".")
    if not article.source or _starts_with_name(body):
        return body
    return f"{article.source} reported that {body[0].lower()}{body[1:]}"


def _starts_with_name(text: str) -> bool:
    first = text.split(" ", 1)[0]
    return first[:1].isupper() and first.lower() not in {"the", "a", "an", "it", "this", "that", "in", "on", "but"}


_NAME_WORD = re.compile(r"(?<=[\w,;:\"“(]\s)[A-Z][\w'’.-]*")  # a capital word not opening a sentence
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def faithful(sentence: str, paraphrase: str, cosine: float) -> bool:
    """Whether a paraphrase may be labelled true without reading it: no name or number added, most
    names kept, not a copy, not much longer, and close in meaning by the embedder (cosine >= 0.8).

    Read by hand: about 39 of the first 45 it keeps keep the meaning (about half of all do)."""
    said, new = set(tokenize(sentence)), set(tokenize(paraphrase))
    if _DIGITS.findall(paraphrase) and not set(_DIGITS.findall(paraphrase)) <= set(_DIGITS.findall(sentence)):
        return False

    def within(word: str, text: str) -> bool:
        core = re.escape(word.strip(".'’"))
        return re.search(rf"(?<!\w){core}(?!\w)", text, re.IGNORECASE) is not None

    names = set(_NAME_WORD.findall(sentence))
    added = [w for w in _NAME_WORD.findall(paraphrase) if not within(w, sentence)]
    kept = [w for w in names if within(w, paraphrase)]
    if added or len(kept) < 0.5 * len(names):
        return False
    overlap = len(said & new) / max(len(said | new), 1)
    words = len(paraphrase.split())
    return overlap < 0.8 and 5 <= words <= 1.3 * len(sentence.split()) + 2 and cosine >= 0.8


def paraphrase_cases(maker: Maker, path: Path) -> list[dict[str, object]]:
    """The true paraphrases that pass `faithful`, each shown with its passage twice, and as many swapped."""
    from assistant.backends.embeddings import LocalEmbedder

    rows = [json.loads(line) for line in path.open()]
    rows = [r for r in rows if r["doc_id"] in maker.by_id]
    vectors = LocalEmbedder().embed([t for r in rows for t in (r["sentence"], r["paraphrase"])])
    cosines = (vectors[0::2] * vectors[1::2]).sum(axis=1)
    cases: list[dict[str, object]] = []
    kept = 0
    for row, cosine in zip(rows, cosines, strict=True):
        sentence, paraphrase = row["sentence"], row["paraphrase"]
        if not faithful(sentence, paraphrase, float(cosine)):
            continue
        article = maker.by_id[row["doc_id"]]
        chunk = next((c for c in maker.bench.chunks[article.doc_id] if sentence in c.text), None)
        if chunk is None:
            continue
        kept += 1
        split = split_of(article.doc_id)
        for _ in range(2):
            cases.append({"claim": paraphrase, "evidence": maker.evidence(article, [sentence], chunk), "label": 1,
                          "kind": "paraphrase", "doc_id": article.doc_id, "split": split})  # fmt: skip
            if false := maker.swapped(paraphrase, chunk):
                cases.append({"claim": false, "evidence": maker.evidence(article, [sentence], chunk), "label": 0,
                              "kind": "paraphrase_swap", "doc_id": article.doc_id, "split": split})  # fmt: skip
    print(f"{kept} of {len(rows)} paraphrases pass the filter", file=sys.stderr)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=37)
    parser.add_argument("--paraphrases", type=Path, help="training/paraphrases.py's output: true claims in other words")
    args = parser.parse_args()
    articles = training_articles()
    maker = Maker(articles, args.seed)
    rows = maker.cases(articles)
    if args.paraphrases:
        rows += paraphrase_cases(maker, args.paraphrases)
    with args.out.open("w") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
    kinds = Counter(str(r["kind"]) for r in rows)
    print(f"{len(rows)} pairs from {len(articles)} articles: {dict(kinds)}", file=sys.stderr)


if __name__ == "__main__":
    main()
