"""Text helpers every stage shares: words as BM25 sees them, names, sentences and dates."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from functools import cache
from typing import Any

from dateutil import parser as dateparser

TOKENIZER = "words-stopwords-snowball-en"  # saved with each segment: another tokenizer means rebuild
WORD = re.compile(r"(?u)\b\w\w+\b")  # a word as the tokenizer sees it: two or more word characters


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed words of two or more characters, English stop words removed.

    Interned: the token lists of a whole corpus share one string per word (half the memory).
    """
    stop = _stopwords()
    return list(map(sys.intern, _stemmer().stemWords([t for t in WORD.findall(text.lower()) if t not in stop])))


@cache
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@cache
def _stopwords() -> frozenset[str]:
    import bm25s.stopwords

    return frozenset(bm25s.stopwords.STOPWORDS_EN)


def name_stems(text: str) -> set[str]:
    """Stems of capitalised words; a sentence's first word only if it is not a usual opener ("However")."""
    stems = set()
    for match in WORD.finditer(text):
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


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, trimmed of whitespace."""
    import blingfire

    spans: list[tuple[int, int]] = []
    for paragraph_start, paragraph in _paragraphs(text):
        if not paragraph.strip():
            continue
        _, offsets = blingfire.text_to_sentences_and_offsets(paragraph)
        for start, end in offsets:
            spans.append((paragraph_start + start, paragraph_start + end))
    return spans


def _paragraphs(text: str) -> list[tuple[int, str]]:
    result, start = [], 0
    for part in text.split("\n"):
        result.append((start, part))
        start += len(part) + 1
    return result


_WEEKDAY_NUMERIC = re.compile(
    r"^(?P<weekday>[A-Za-z]{3,9}),?\s+(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<year>\d{4})(?P<rest>.*)$"
)


def parse_date(value: str) -> str | None:
    """An ISO 8601 date-time from a free-form date, or None.

    Numeric dates such as "Thu, 11/08/2016" are ambiguous (day or month first):
    the weekday decides.
    """
    value = value.strip().replace(" - ", " ")
    if match := _WEEKDAY_NUMERIC.match(value):
        weekday = match["weekday"][:3].lower()
        for day, month in ((match["a"], match["b"]), (match["b"], match["a"])):
            try:
                candidate = datetime(int(match["year"]), int(month), int(day))
            except ValueError:
                continue
            if candidate.strftime("%a").lower() == weekday:
                value = f"{candidate:%Y-%m-%d}{match['rest']}"
                break
    try:
        parsed = dateparser.parse(value, fuzzy=False)
    except (ValueError, OverflowError):
        return None
    if parsed is None:
        return None
    return parsed.isoformat()


def to_timestamp(iso: str | None) -> int | None:
    """Seconds since the epoch of an ISO date (naive dates taken as UTC)."""
    if not iso:
        return None
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())
