"""The citation markers an answer carries: "[2]", "[1, 3]", "[Source 2]"."""

from __future__ import annotations

import re

# [1], [1, 2], [1,2,3]; also tolerated: [Source 1], [Passage 2]
MARKER = re.compile(r"\[(?:(?:source|passage|doc(?:ument)?)\s*)?(\d+(?:\s*,\s*\d+)*)\]", re.IGNORECASE)


def parse_markers(text: str) -> list[int]:
    """Every cited number, in order of first appearance."""
    numbers: list[int] = []
    for match in MARKER.finditer(text):
        for number in _numbers(match):
            if number not in numbers:
                numbers.append(number)
    return numbers


def _numbers(match: re.Match[str]) -> list[int]:
    """The numbers one marker cites: "[1, 3]" -> [1, 3]."""
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
