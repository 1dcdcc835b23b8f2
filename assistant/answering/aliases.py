"""Names news writes for a government or institution by its seat: "Washington" for the US government.

A question (or an answer) may use the seat where the articles name the country,
and the other way round; neither is an unknown name nor an unsupported claim.
World knowledge, kept short: capitals and seats that stand for their governments.
"""

from __future__ import annotations

import re
from functools import cache

from assistant.text import tokenize

_SEATS: dict[str, tuple[str, ...]] = {
    "Washington": ("United States", "US", "U.S.", "American", "White House", "State Department", "Pentagon"),
    "Pentagon": ("United States", "US", "U.S.", "American", "Defense Department", "military"),
    "Kremlin": ("Russia", "Russian", "Moscow", "Putin"),
    "Moscow": ("Russia", "Russian", "Kremlin"),
    "Beijing": ("China", "Chinese"),
    "Ankara": ("Turkey", "Turkish", "Erdogan"),
    "Tehran": ("Iran", "Iranian"),
    "Damascus": ("Syria", "Syrian", "Assad"),
    "Kyiv": ("Ukraine", "Ukrainian", "Zelensky", "Zelenskyy"),
    "Brussels": ("European Union", "EU", "European Commission", "NATO"),
    "Downing Street": ("Britain", "British", "UK", "U.K.", "prime minister"),
    "Westminster": ("Britain", "British", "UK", "U.K.", "Parliament"),
    "Whitehall": ("Britain", "British", "UK", "U.K.", "government"),
    "Paris": ("France", "French", "Elysee", "Élysée"),
    "Berlin": ("Germany", "German"),
    "Tokyo": ("Japan", "Japanese"),
    "Delhi": ("India", "Indian"),
    "Riyadh": ("Saudi Arabia", "Saudi"),
    "Jerusalem": ("Israel", "Israeli"),
    "Pyongyang": ("North Korea", "North Korean"),
    "Seoul": ("South Korea", "South Korean"),
    "Vatican": ("Pope", "Holy See"),
}


@cache
def _by_stem() -> dict[str, tuple[str, ...]]:
    """Each seat by the stem of its first word ("washington", "down" for Downing Street)."""
    return {tokenize(seat)[0]: referents for seat, referents in _SEATS.items()}


def referents(word: str) -> tuple[str, ...]:
    """What `word` may stand for when it names a seat ("Washington" -> "United States", "US", ...); else ()."""
    stems = tokenize(word)
    return _by_stem().get(stems[0], ()) if len(stems) == 1 else ()


def mentioned_in(names: tuple[str, ...], text: str, stems: frozenset[str]) -> bool:
    """Whether `text` (or its `stems`) has one of `names`: by stems, or as a word for acronyms ("US")."""
    for referent in names:
        wanted = tokenize(referent)
        if wanted and set(wanted) <= stems:
            return True
        if not wanted and re.search(rf"(?<!\w){re.escape(referent)}(?!\w)", text):
            return True
    return False
