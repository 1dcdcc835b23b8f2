"""What a question says about where and when to look: the outlets and dates it names."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date

from assistant.text import parse_date

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE_MENTION = re.compile(rf"\b(\d{{4}}-\d{{2}}-\d{{2}}|(?:{_MONTHS}) \d{{1,2}}, \d{{4}})\b")


def mentioned_dates(question: str) -> list[date]:
    """The calendar dates written in the question ("2023-10-02", "October 12, 2023")."""
    days = []
    for match in _DATE_MENTION.finditer(question):
        parsed = parse_date(match.group(1))
        if parsed and (day := date.fromisoformat(parsed[:10])) not in days:
            days.append(day)
    return days


def mentioned_sources(question: str, sources: Iterable[str]) -> list[tuple[str, int, int]]:
    """(outlet, start, end) of each outlet named in the question as written, in order of mention."""
    found: list[tuple[str, int, int]] = []
    for source in sorted(set(sources), key=len, reverse=True):  # longest first: "The Independent - Sports"
        if len(source) < 3:
            continue
        for match in re.finditer(rf"(?<!\w){re.escape(source)}(?!\w)", question):
            if not any(start < match.end() and match.start() < end for _, start, end in found):
                found.append((source, *match.span()))
    return sorted(found, key=lambda mention: mention[1])


# An outlet named as the origin of a report: "a Forbes article", "an article from The Washington Post",
# "reported by Reuters". (Not "according to X": X is as often a person.)
_WORD = r"[A-Z][\w.&-]*"
_NAME = rf"((?:The )?{_WORD}(?: (?:{_WORD}|of|and|&|-|\|))*?)"
_KIND = r"(?:article|report|piece|coverage|story|publication)s?"
_NAME_END = r"(?=['\",.?;]|\s+(?:on|about|regarding|discussing|detailing|published|and)\b|$)"
_OUTLET_MENTIONS = [
    re.compile(rf"\b(?:an?|the) ['\"]?{_NAME}['\"]? {_KIND}\b"),
    re.compile(rf"\b(?:{_KIND}|another) (?:from|in|by) ['\"]?{_NAME}{_NAME_END}"),  # "... and another from X"
    re.compile(rf"\b(?:reported|published|covered|written|provided) by ['\"]?{_NAME}{_NAME_END}"),
]
_MONTH_NAMES = set(_MONTHS.split("|"))


def unknown_outlets(question: str, sources: Iterable[str], titles: Iterable[str] = ()) -> list[str]:
    """Outlets the question names as the origin of a report that are not among `sources`.

    A name inside one of `titles` is an article's title ("the 'NBA Rookie of the Year Odds' article").
    """

    def key(name: str) -> str:
        return re.sub(r"^the ", "", name.lower())

    known = [key(source) for source in sources]
    titles = [title.lower() for title in titles]
    unknown: list[str] = []
    for pattern in _OUTLET_MENTIONS:
        for match in pattern.finditer(question):
            name = match.group(1).strip(" '\"")
            if name in _MONTH_NAMES or name.endswith("'s") or name in unknown:
                continue
            if any(key(name) == k or k.startswith(key(name) + " ") for k in known):
                continue
            if not any(name.lower() in title for title in titles):
                unknown.append(name)
    return unknown


_CAPITALISED = re.compile(r"\b[A-Z][\w'&.-]*")


def unknown_names(question: str, is_known: Callable[[str], bool]) -> list[str]:
    """Names in the question ("Vandita", "ZDNet") that `is_known` says no article uses.

    Capitalised words count, except where a sentence starts and acronyms: those often
    stand for words the articles do use ("FWA" for "Fixed Wireless Access").
    """
    unknown: list[str] = []
    for match in _CAPITALISED.finditer(question):
        word = match.group(0).rstrip(".'-&").removesuffix("'s")
        before = question[: match.start()].rstrip()
        if not before or before[-1] in ".?!" or word.isupper() or word in unknown:
            continue
        if not is_known(word):
            unknown.append(word)
    return unknown
