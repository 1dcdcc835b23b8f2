"""Statements found in an article by rules over its sentences: who said what, where.

Kinds: `direct` (the speaker's words in quotes: “...,” X said), `reported` (X said that ..., X told
reporters ..., ..., X said), `according_to` (according to X, ...). A sentence that only continues a
quotation (“...” on its own after a statement) is the same speaker's, `via="continued"`; "he said"
and "she said" are the last person quoted before (`via="pronoun"`), "the spokesman said" the last
speaker of that role (`via="role"`). A surname alone is the person named in full earlier ("Haq"
-> Farhan Haq), who keeps the organisation and country that mention gave them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.statements.speakers import ORGANISATION_NOUNS, PRONOUNS, ROLES, TITLES, Speaker, parse
from assistant.text import sentence_spans

CUES = (
    "said says say told tells added adds announced announces warned warns stated states explained explains noted "
    "notes wrote writes argued argues claimed claims insisted insists declared declares confirmed confirms denied "
    "denies acknowledged acknowledges replied replies urged urges stressed stresses emphasized emphasised "
    "predicted predicts promised promises vowed vows admitted admits asserted asserts revealed reveals tweeted "
    "posted commented comments cautioned cautions conceded concedes recalled recalls suggested suggests "
    "reported reports"
).split()
_CUE = re.compile(r"\b(?:[Aa]ccording to|" + "|".join(CUES) + r")\b")
# words that may stand between a speaker and the cue: "Turkish officials have stressed", "Haq also said"
_BETWEEN = frozenset(
    "has have had also later earlier previously then further reportedly publicly repeatedly recently once "
    "again separately privately quickly will would".split()
)
_WHEN = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday today yesterday tonight earlier later recently "
    "previously also again".split()
)
_WHERE = frozenset("in on at during to after before while when via from last this adding according as".split())
_CONNECTORS = frozenset("of for at the and a an".split())
_NOT_SPEAKERS = frozenset(
    "it this that which who what there here report reports study studies data statement document survey "
    "analysis filing filings research poll it’s".split()
)
_QUOTE = re.compile(r"[“\"]([^”\"]+)[”\"]|(?<!\w)['‘]([^'’]{8,})['’](?!\w)")
_WORD = re.compile(r"[\w][\w'’.&-]*")
QUOTED_WORDS = 3  # a statement quotes its speaker when at least this many of its words are in quotes


@dataclass(frozen=True)
class Statement:
    """One statement of an article: who, by which verb, and where (offsets into the article's text)."""

    speaker: Speaker
    written: str  # how this sentence names the speaker: "he", "the spokesman", "Haq", the full mention
    kind: str  # direct, reported, according_to
    via: str  # name, pronoun, role, continued
    cue: str
    start: int  # the sentence(s)
    end: int
    content_start: int  # what is attributed: the quotation, or the reported clause
    content_end: int

    def record(self, text: str) -> dict[str, object]:
        """As stored with the article (whose text is `text`) in the index."""
        return {
            "text": text[self.start : self.end],
            "mention": self.speaker.mention,
            "person": self.speaker.person,
            "organisation": self.speaker.organisation,
            "country": self.speaker.country,
            "written": self.written,
            "kind": self.kind,
            "via": self.via,
            "cue": self.cue,
            "start": self.start,
            "end": self.end,
            "content": [self.content_start, self.content_end],
        }


def extract(text: str) -> list[Statement]:
    """The statements of an article's `text`, in order."""
    found: list[Statement] = []
    people = _People()
    previous: Statement | None = None
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        statements = _in_sentence(sentence, start, people)
        if not statements and previous is not None and _continues(sentence, text[previous.end : start]):
            continued = replace(previous, via="continued", start=start, end=end)
            statements = [replace(continued, content_start=start, content_end=end)]
        for statement in statements:
            people.saw(statement.speaker)
        found += statements
        previous = statements[-1] if statements else None
    return found


def _continues(sentence: str, gap: str) -> bool:
    """A sentence that only quotes, right after a statement (in the same or the next paragraph)."""
    stripped = sentence.strip()
    return stripped[:1] in '“"' and gap.count("\n") <= 2 and not _CUE.search(_outside_quotes(stripped))


def _outside_quotes(sentence: str) -> str:
    """`sentence` with its quotations blanked out (offsets unchanged)."""
    return _QUOTE.sub(lambda quote: " " * len(quote.group()), sentence)


def _in_sentence(sentence: str, offset: int, people: _People) -> list[Statement]:
    outside = _outside_quotes(sentence)  # cues inside a quotation are the speaker's words, not attribution
    cues = list(_CUE.finditer(outside))
    quotes = [(m.start(), m.end()) for m in _QUOTE.finditer(sentence)]
    found = []
    for number, cue in enumerate(cues):
        verb = cue.group().lower()
        before = outside[: cue.start()].rstrip()
        written, subject_start = _subject_before(outside, cue.start())
        inverted = verb == "according to" or not written and (not before or before.endswith((",", '"', "”", "’", "'")))
        if verb != "according to" and not written:
            written, subject_start = _apposition(before)  # "The company, Northwind Energy, said"
            inverted = inverted and not written
        if inverted:
            written, subject_start = _subject_after(outside, cue.end())  # "..., said Kalin", "according to X"
        speaker, via = people.resolve(written)
        if speaker is None:
            continue
        kind = "according_to" if verb == "according to" else "reported"
        near = [q for q in quotes if _nearest(q, cues) == number]
        if kind == "reported" and sum(len(_WORD.findall(sentence[a:b])) for a, b in near) >= QUOTED_WORDS:
            kind = "direct"
            content = (min(a for a, _ in near), max(b for _, b in near))
        elif inverted and before:
            content = (0, cue.start())  # "..., said Kalin.", "..., according to Reuters."
        elif inverted:
            content = (subject_start + len(written), len(sentence))  # "According to Reuters, ..."
        elif subject_start > 0 and _attributes_before(outside, cue.end()):
            content = (0, subject_start)  # "..., Kalin said (in an interview)."
        else:
            following = cues[number + 1].start() if number + 1 < len(cues) else len(sentence)
            content = (cue.end(), following)
        start, end = offset + content[0], offset + max(content)
        found.append(Statement(speaker, written, kind, via, verb, offset, offset + len(sentence), start, end))
    return found


def _attributes_before(text: str, cue_end: int) -> bool:
    """Whether a cue attributes what comes before it: nothing after it but where and when it was said."""
    words = [w.lower() for w in _WORD.findall(text[cue_end:])]
    while words and words[0] in _WHEN:
        words.pop(0)
    return not words or words[0] in _WHERE


def _nearest(quote: tuple[int, int], cues: list[re.Match[str]]) -> int:
    middle = (quote[0] + quote[1]) / 2
    return min(range(len(cues)), key=lambda i: abs((cues[i].start() + cues[i].end()) / 2 - middle))


def _subject_before(text: str, at: int) -> tuple[str, int]:
    """The speaker named right before a cue ("... Erdogan spokesman Ibrahim Kalin said"), and where it starts."""
    words = list(_WORD.finditer(text[:at]))
    taken: list[re.Match[str]] = []
    for word in reversed(words):
        gap = text[word.end() : taken[0].start() if taken else at]
        if gap.strip():  # punctuation between: the subject ends there
            break
        value = word.group()
        if not taken and value in _BETWEEN:
            at = word.start()
            continue
        if _speaker_word(value) or value.lower() in _CONNECTORS and taken:
            taken.insert(0, word)
            continue
        break
    while taken and taken[0].group().lower() in _CONNECTORS - {"the", "a", "an"}:
        taken.pop(0)
    if not taken:
        return "", -1
    return text[taken[0].start() : taken[-1].end()], taken[0].start()


def _apposition(before: str) -> tuple[str, int]:
    """A name set off by commas right before a cue ("The company, Northwind Energy, said"), and where it starts."""
    if not before.endswith(","):
        return "", -1
    start = before.rfind(",", 0, len(before) - 1) + 1
    words = _WORD.findall(before[start:])
    if start == 0 or not words or not all(_speaker_word(w) or w.lower() in _CONNECTORS for w in words):
        return "", -1
    name = before[start:-1].strip()
    return name, before.index(name, start)


def _subject_after(text: str, at: int) -> tuple[str, int]:
    """The speaker named right after a cue ("..., said Jens Stoltenberg", "according to Reuters")."""
    taken: list[re.Match[str]] = []
    for word in _WORD.finditer(text, at):
        gap = text[taken[-1].end() if taken else at : word.start()]
        if gap.strip():
            break
        if _speaker_word(word.group()) or word.group().lower() in _CONNECTORS:
            taken.append(word)
            continue
        break
    while taken and taken[-1].group().lower() in _CONNECTORS:
        taken.pop()
    if not taken:
        return "", -1
    return text[taken[0].start() : taken[-1].end()].rstrip(".,"), taken[0].start()


def _speaker_word(word: str) -> bool:
    bare = word.strip(".,").removesuffix("’s").removesuffix("'s")
    lower = bare.lower()
    if lower in _NOT_SPEAKERS:
        return False
    return bare[:1].isupper() or lower in ROLES or lower in ORGANISATION_NOUNS or lower in PRONOUNS


class _People:
    """Who an article has quoted so far: to resolve "he", "the spokesman" and surnames."""

    def __init__(self) -> None:
        self.speakers: list[Speaker] = []

    def saw(self, speaker: Speaker) -> None:
        self.speakers.append(speaker)

    def resolve(self, written: str) -> tuple[Speaker | None, str]:
        """The speaker `written` names, and how it was found (name, pronoun, role); None if nobody fits."""
        words = written.split()
        if not words:
            return None, ""
        if written.lower() in PRONOUNS:
            person = next((s for s in reversed(self.speakers) if s.person), None)
            return person, "pronoun"
        if all(w.islower() and w in ROLES | ORGANISATION_NOUNS | _CONNECTORS for w in words):  # "the spokesman"
            role = words[-1]
            for earlier in reversed(self.speakers):
                if role in earlier.mention.lower().split() or role in ORGANISATION_NOUNS and not earlier.person:
                    return earlier, "role"  # "the company": the last organisation quoted
            return None, "role"
        if all(w.lower() in _CONNECTORS or w.strip(".") in TITLES for w in words):
            return None, ""
        speaker = parse(written)
        if speaker.person and len(speaker.person.split()) == 1 or not speaker.person and len(words) == 1:
            surname = (speaker.person or written).strip()
            for earlier in reversed(self.speakers):
                if earlier.person and earlier.person.split()[-1] == surname:
                    return earlier, "name"  # "Haq" after "Farhan Haq": him, with what the full mention said
        return speaker, "name"
        return speaker, "name"
