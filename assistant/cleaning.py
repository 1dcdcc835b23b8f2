"""Text clean-up shared by every format: whitespace, dates, trailing boilerplate."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from dateutil import parser as dateparser

# A line that starts the list of unrelated links many sites append to an article.
_BOILERPLATE_HEADING = re.compile(
    r"^(more (from|in|on)\b.*|related( articles| stories| news| content)?|read (more|next|also)\b.*"
    r"|recommended( for you| stories)?|you (may|might) also like.*|most (read|popular|viewed)\b.*"
    r"|latest (news|stories)|also on .*|trending( now)?|share this( article)?)\s*:?$",
    re.IGNORECASE,
)
# A metadata line naming when the article was published or updated.
_DATE_LINE = re.compile(
    r"^\s*(last update[d]?|updated|published( on)?|posted( on)?|date)\s*:?\s*(?P<date>.{6,60}?)\s*$",
    re.IGNORECASE,
)
_WEEKDAY_NUMERIC = re.compile(
    r"^(?P<weekday>[A-Za-z]{3,9}),?\s+(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<year>\d{4})(?P<rest>.*)$"
)


def normalise_whitespace(text: str) -> str:
    """Unix newlines, no trailing spaces, paragraphs separated by one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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


def strip_boilerplate(text: str) -> tuple[str, str | None]:
    """The article without its trailing link lists and date lines, and the date found.

    A boilerplate heading only counts in the second half of the text, so an
    article that merely mentions "Related" early on keeps its body.
    """
    lines = text.split("\n")
    published: str | None = None
    kept: list[str] = []
    offset = 0
    for line in lines:
        if offset > len(text) / 2 and _BOILERPLATE_HEADING.match(line.strip()):
            break
        offset += len(line) + 1
        if (match := _DATE_LINE.match(line)) and (date := parse_date(match["date"])):
            published = published or date
            continue
        kept.append(line)
    return normalise_whitespace("\n".join(kept)), published
