"""Text clean-up shared by every format: whitespace, dates, trailing boilerplate."""

from __future__ import annotations

import re

from assistant.text import parse_date

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


def normalise_whitespace(text: str) -> str:
    """Unix newlines, no trailing spaces, paragraphs separated by one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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
