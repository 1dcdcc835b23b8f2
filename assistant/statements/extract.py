"""Statements found in an article by rules over its sentences: who said what, where.

Kinds: `direct` (the speaker's words in quotes: “...,” X said), `reported` (X said that ..., X told
reporters ..., ..., X said), `according_to` (according to X, ...). A quotation that runs over several
sentences belongs to whoever one of them names (`via="continued"` for the others), as does a
quotation standing alone right after a statement; "he said" and "she said" are the last person
quoted before (`via="pronoun"`), "the spokesman said" the last person of that role (`via="role"`). A
surname alone is the person the article names in full ("Haq" -> Farhan Haq).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from assistant.statements.speakers import (
    ORGANISATION_NOUNS,
    PERSONAL_ROLES,
    PRONOUNS,
    ROLES,
    TITLES,
    Speaker,
    country_of,
    is_role,
    parse,
    pronoun_of_first_name,
)
from assistant.text import sentence_spans

CUES = (
    "said says say told tells added adds announced announces warned warns stated states explained explains noted "
    "notes wrote writes argued argues claimed claims insisted insists declared declares confirmed confirms denied "
    "denies acknowledged acknowledges replied replies urged urges stressed stresses emphasized emphasised "
    "predicted predicts promised promises vowed vows admitted admits asserted asserts revealed reveals tweeted "
    "commented comments cautioned cautions conceded concedes recalled recalls suggested suggests reported reports "
    "testified testifies agreed agrees recommended recommends concluded alleges disagreed advised advises hinted "
    "remarked reiterated reiterates recounted recounts found mused muses theorized theorised shared identified "
    "estimates estimated encouraged clarified clarifies"
).split()
# only right after a quotation: “...,” Menendez continued
AFTER_QUOTE_CUES = "continued answered asked shrugs shrugged quipped joked confessed".split()
# only with a quotation after: called it “a fraud”
QUOTING_CUES = "called described defines dubbed praised reaffirmed".split()
BELIEF_CUES = "believes expects thinks".split()  # only before a clause: "Kelce believes the league's coverage ..."
# only before "that" or a quotation, or right after one: "He underlined there were", "informed reporters that"
CLAUSE_CUES = (
    "indicated indicates informed informs underlined underlines highlighted highlights observed observes countered "
    "counters responded responds lamented laments boasted boasts reckoned reckons contended contends"
).split()
_CUE = re.compile(
    r"\b(?:[Aa]ccording to|[Pp]er(?= (?:a |an |the )?[A-Z])|pointed out|points out|talks about|talked about|"
    r"^Said(?= [A-Z])|" + "|".join(CUES + AFTER_QUOTE_CUES + QUOTING_CUES + BELIEF_CUES + CLAUSE_CUES) + r")\b"
)
_SOURCE_CUES = ("according to", "per")  # the source named after the cue, and no other speaker in the sentence
# words that may stand between a speaker and the cue: "Turkish officials have stressed", "Haq also said"
_BETWEEN = frozenset(
    "has have had also first later earlier previously then further reportedly publicly repeatedly recently once "
    "again separately privately quickly".split()
)
_WHEN = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday today yesterday tonight earlier later recently "
    "previously also again".split()
)
_WHERE = frozenset("in on at during to after before while when via from last this adding according as".split())
_CONNECTORS = frozenset("of for at the and a an".split())
_PREPOSITIONS = frozenset("from of by to with at in on for about against between than into".split())
_NEVER_SPEAKERS = frozenset("it this that there here they we you i".split())  # "They predict": no one named
_NOT_SPEAKERS = _NEVER_SPEAKERS | frozenset(
    "which who what report reports study studies data statement document survey analysis filing filings research "
    "poll it’s".split()
)
_NOT_STATING = frozenset(  # "Other states with possible cases", "the member states"
    "other the these those some many several all both two three member neighbouring neighboring southern "
    "northern western eastern gulf arab baltic".split()
)
_LEGAL = frozenset("complaint lawsuit suit petition".split())
_DOCUMENTS = frozenset("report statement study analysis survey note filing release letter ruling".split()) | _LEGAL
# capitalised words that open a sentence without naming anyone
_OPENERS = frozenset(
    "as but and so yet or if when while although though because since after before then also however still "
    "meanwhile instead indeed his her its their our my your this that these those there here some many most "
    "all each every both neither either can't won't don't didn't isn't wasn't it's what who which where why how "
    "in on at for from by with of to following amid despite during without according asked first second third "
    "finally ultimately overall now today said another someone somebody anyone everyone others throughout".split()
)
_OPEN, _CLOSE = "“", "”"
_QUOTED = "■"  # what a quotation is masked with in a sentence's words outside quotations: no speaker spans it
_WORD = re.compile(r"[\w][\w'’.&-]*")
# a full name, perhaps after a title: "Sen. Bob Menendez", "John J. Ray III"
_NAME_WORD = r"(?:[A-Z][\w’'-]+|[A-Z]\.)"
_PARTICLES = "de|al|van|von|bin|ben|ten|der|da|di|du|le|la"  # "Erik ten Hag"
_NAME = re.compile(rf"\b(?:[A-Z][a-z]+\.? )?{_NAME_WORD}(?: (?:{_NAME_WORD}|{_PARTICLES}))+\b")
_POST = re.compile(r"—\s*([A-Z][^()@—\n]{2,60}?)\s*\(@\w+\)")  # an embedded post's signature
_PLACE_NAME = r"[A-Z][\w.’'-]*(?: [A-Z][\w.’'-]*)*"
_AGE_AND_HOME = re.compile(rf",\s*\d{{1,3}}(?:,\s*(?:of|from) {_PLACE_NAME}(?:,\s*{_PLACE_NAME})?)?\s*,?\s*$")
_TIME_BEFORE_CUE = re.compile(
    r"\s+(?:(?:last|this|on|earlier|later)\s+)?(?:week|month|year|night|morning|afternoon|evening|weekend|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\s*$"
)
_SINGLE_QUOTED = re.compile(r"(?<!\w)['‘](?:[^'’]|['’](?=\w)){8,}['’](?!\w)")  # apostrophes inside
# "according to data from CME Group", "said a statement from Rep. ...": the author of the document
_DOCUMENT_OF = re.compile(
    r"(?:an? |the )?(?:\w+ ){0,2}(?:data|report|statement|release|analysis|study|survey|announcement|note|letter|post)"
    r" (?:from|by|of) "
)
# someone named after who they are to someone else: "his mother, Jessica Goeller", "their lawyer, Jane Doe"
_RELATIVE_NAMED = re.compile(
    r"\s*(?:his|her|their|its)\s+(?:[a-z-]+\s+){0,2}?[a-z-]+,\s+((?:[A-Z][\w’'-]+ ?){2,4})(?=[.,;]|$)"
)
_PARTY = re.compile(r"^[RDI]-[A-Z][A-Za-z.]*$")  # "Rep. Carlos Gimenez, R-Fla., said"
_AUTHORED_BY = re.compile(r"^(?:filed|written|published|signed|issued|released|commissioned|carried out) by (.+)$")
_TRAILING_ATTRIBUTION = re.compile(r",\s+(?:[A-Z][\w.’'-]+ ){1,3}(?:said|says|added|wrote)\.?$")
APPOSITION_WORDS = 12  # a longer run between commas is a clause, not a description of the speaker
NARRATION_SENTENCES = 3  # an interview's quotation is its last speaker's across at most this many sentences
DESCRIBED_SENTENCES = 5  # "the manager says", "The Girls Trip star continued": the person quoted this lately
SURE_CALLS = 3  # an article that calls someone "he" this often (and thrice as often as "she") means it
SUBJECT_WORDS = 3  # words a sentence's subject may have before the surname ("Property developer Miki Naimi")
QUOTED_WORDS = 3  # a statement quotes its speaker when at least this many of its words are in quotes
_AGED = re.compile(r"\b\d+-year-old\b")
# roles that name someone other than whoever spoke last ("Haq said ... The spokesman added" may be another's)
_DISTINCT_ROLES = frozenset(
    "spokesman spokeswoman spokesperson spokespeople spokesmen official officials source sources".split()
)
_PARTICIPLE = re.compile(
    r"\b(?:saying|insisting|adding|warning|noting|calling|arguing|claiming|stressing|writing|explaining)\b"
)
_NOT_FIRST_NAMES = frozenset(  # capitalised words that also open a name without being a first name
    "January February March April May June July August September October November December Monday Tuesday "
    "Wednesday Thursday Friday Saturday Sunday New North South East West San Los Las Saint St".split()
)
_AS_FOR = re.compile(r"^\s*As for ((?:[A-Z][\w.’'-]* ?){1,4}),")
# a pull quote's signature: "— Diane Bazella", "Robert Kyncl, Warner Music Group"
_SIGNATURE = re.compile(
    r"^\s*(?:[—–]\s*([A-Z][\w.’'-]*(?: [A-Z][\w.’'-]*){1,3})|([A-Z][\w.’'-]*(?: [A-Z][\w.’'-]*){1,3}),"
    r"(?: [A-Z][\w.’'&-]*){1,5})\s*$"
)
_SCRAPED_LEAD = re.compile(r"^\s*(?:Loading|Advertisement|Credit:(?: [A-Z][\w.’'/-]*){1,4}?)\s+(?=[“\"])")
# a statement introduced by its speaker and a colon: 'Wayne Rooney, former Everton and England forward: "...'
_COLON_INTRODUCED = re.compile(r"^\s*((?:[A-Z][\w.’'-]*\s){1,4}?[A-Z][\w’'-]+)(?:,[^:“\"]{3,90})?:\s*(?=[“\"])")
_FAME = frozenset("star actor actress singer crooner rapper musician comedian".split())
_ROLE_WORDS = ROLES | {title.lower() for title in TITLES}  # as the lower-cased words before a name have them
_SPOKESPERSON = {"he": "spokesman", "she": "spokeswoman"}
_THEIR = frozenset("his her their".split())
_RELATIVES = frozenset(
    "mother father mom dad wife husband son daughter brother sister grandmother grandfather aunt uncle "
    "girlfriend boyfriend partner fiancée fiancé fiance".split()
)
_WOMEN = frozenset(
    "mother wife daughter sister woman girlfriend grandmother aunt niece queen princess actress spokeswoman "
    "chairwoman businesswoman congresswoman mrs. ms. mrs ms miss".split()
)
_MEN = frozenset(
    "father husband son brother man boyfriend grandfather uncle nephew king prince actor spokesman chairman "
    "businessman congressman mr. mr".split()
)
_FIRST_PERSON = re.compile(r"\b(?:I|I’m|I'm|I’ve|I've|we|We|we’re|We’re|our|Our|us|my|My|me|ourselves)\b")
_HE, _SHE = re.compile(r"\b(?:he|him|his|himself)\b"), re.compile(r"\b(?:she|her|hers|herself)\b")


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
        """As stored with the article (whose text is `text`) in the index: the fields of `records.Statement`
        that are not the article's."""
        return {
            "speaker": self.speaker.mention,
            "person": self.speaker.person,
            "organisation": self.speaker.organisation,
            "country": self.speaker.country,
            "written": self.written,
            "kind": self.kind,
            "via": self.via,
            "cue": self.cue,
            "text": text[self.start : self.end],
            "char_start": self.start,
            "char_end": self.end,
            "content_start": self.content_start,
            "content_end": self.content_end,
        }


@dataclass
class _Sentence:
    start: int
    end: int
    text: str
    outside: str  # the text with its quotations blanked out (offsets unchanged)
    quotes: list[tuple[int, int]]
    opens_inside: bool  # it begins within a quotation opened in a sentence before
    statements: list[Statement]


def extract(text: str) -> list[Statement]:
    """The statements of an article's `text`, in order."""
    spans = sentence_spans(text)
    people = _People(text, [start for start, _ in spans])
    sentences = [s for s in _sentences(text, spans) if not s.text.isupper()]  # a heading in capitals: another story's
    opening = 0
    for number, sentence in enumerate(sentences):
        opening = number if not sentence.opens_inside else opening  # where the quotation it is in began
        people.reached(sentence.start, number, sentences[opening].start)
        sentence.statements = _in_sentence(sentence, people)
        previous = sentences[number - 1] if number else None
        going_on = sentence.opens_inside or _continues(sentence, previous, text) if previous else False
        if not sentence.statements and previous and previous.statements and going_on:
            sentence.statements = [_continued(previous.statements[-1], sentence)]
            people.saw(sentence.statements[0].speaker)  # still speaking: whom a "he" after it means
    _embedded_posts(sentences, text)
    _attributions_after_quotations(sentences, people)
    _repeated_quotations(sentences)
    _quotations_after_narration(sentences)
    _spread_over_quotations(sentences)  # over what the passes before gave a speaker too
    return [statement for sentence in sentences for statement in sentence.statements if _says_something(statement)]


def _says_something(statement: Statement) -> bool:
    return statement.content_end > statement.content_start


def _sentences(text: str, spans: list[tuple[int, int]]) -> list[_Sentence]:
    """The article's sentences, each with its quotations found: curly quotes and straight ones may run over
    several sentences; single quotes count only when they open and close in one sentence."""
    found = []
    inside, previous_end = False, 0
    for start, end in spans:
        sentence = text[start:end]
        new_paragraph = "\n" in text[previous_end:start]
        if new_paragraph and _lead(sentence)[:1] not in (_OPEN, '"'):
            # a quotation going on in a new paragraph opens it again; this one does not, so it is narration,
            # unless it speaks in the first person with no quotation mark at all: the writer forgot the mark
            inside = inside and not re.search(r"[“”\"]", sentence) and bool(_FIRST_PERSON.search(sentence))
        previous_end = end
        # “... fictionalised.’ / ” Edenglassie had a long: a closing mark first; a straight one opening a paragraph
        closes_first = inside and (sentence[:1] == _CLOSE or sentence[:1] == '"' and not new_paragraph)  # reopens
        inside = inside and not closes_first  # gestation.: the quotation closed where the sentence before ended
        opens_inside = inside
        quotes, opened = [], 0 if inside else None
        skipped = int(closes_first or inside and sentence[:1] == '"')  # the mark that closed it, or opened it again
        for i, char in enumerate(sentence[skipped:], start=skipped):
            if char == '"' and sentence[i - 1 : i] == '"':  # 'says, ""In the first': one mark, doubled
                continue
            if char == _OPEN or char == '"' and opened is None:
                opened = i
            elif (char == _CLOSE or char == '"') and opened is not None:
                quotes.append((opened, i + 1))
                opened = None
        trailing = _TRAILING_ATTRIBUTION.search(sentence) if opened is not None else None
        if trailing is not None and opened is not None and opened < trailing.start():  # “Charging ..., Menendez said.
            quotes.append((opened, trailing.start()))
            opened = None
        inside = opened is not None
        if inside:
            quotes.append((opened or 0, len(sentence)))
        if not quotes:
            quotes = [(m.start(), m.end()) for m in _SINGLE_QUOTED.finditer(sentence)]
        outside = list(sentence)
        for aside in re.finditer(r"\([^()]*\)", sentence):  # "Sherrod Brown (D-Ohio) said"
            outside[aside.start() : aside.end()] = " " * (aside.end() - aside.start())
        for a, b in quotes:
            outside[a:b] = _QUOTED * (b - a)
        found.append(_Sentence(start, end, sentence, "".join(outside), quotes, opens_inside, []))
    return found


def _lead(sentence: str) -> str:
    """How a sentence starts, past what a page's scraping left before a quotation ("Loading “...",
    "Credit: Alex Ellinghausen “...")."""
    return _SCRAPED_LEAD.sub("", sentence).lstrip()


def _continued(statement: Statement, sentence: _Sentence) -> Statement:
    moved = replace(statement, via="continued", start=sentence.start, end=sentence.end)
    return replace(moved, kind="direct", content_start=sentence.start, content_end=sentence.end)


def _continues(sentence: _Sentence, previous: _Sentence, text: str) -> bool:
    """A sentence that only quotes, right after a statement (in the same or the next paragraph)."""
    gap = text[previous.end : sentence.start]
    return _lead(sentence.text)[:1] in (_OPEN, '"') and gap.count("\n") <= 2 and not _CUE.search(sentence.outside)


def _embedded_posts(sentences: list[_Sentence], text: str) -> None:
    """A post quoted in the article ("... — Jordan Travis (@jordantrav13) December 3, 2023"): its author's,
    with the sentences before it in its paragraph."""
    for number, sentence in enumerate(sentences):
        signed = _POST.search(sentence.text)
        if signed is None or sentence.statements:
            continue
        speaker = parse(signed.group(1).strip())
        start = sentence.start + len(sentence.text) - len(sentence.text.lstrip())
        end = sentence.start + signed.start() if signed.start() > start - sentence.start else sentence.end
        signature = signed.group(1).strip()
        post = Statement(speaker, signature, "direct", "name", "posted", sentence.start, sentence.end, start, end)
        sentence.statements = [post]
        first = sentence  # its text: the sentences before it in its paragraph, or the paragraph before it
        for earlier in reversed(sentences[max(0, number - 5) : number]):
            gap = text[earlier.end : first.start]
            if earlier.statements or gap.count("\n") > 4 or "\n" in gap and first is not sentence:
                break
            earlier.statements = [_continued(post, earlier)]
            first = earlier


def _attributions_after_quotations(sentences: list[_Sentence], people: _People) -> None:
    """“Is it fair to say that Citi is still a profitable bank?” / Menendez asked Fraser.: a sentence that
    only says who spoke gives its speaker to the quotation before it."""
    for previous, sentence in zip(sentences, sentences[1:], strict=False):
        empty = [st for st in sentence.statements if not _says_something(st)]
        carried = all(st.via == "continued" for st in previous.statements)  # a pull quote's signature beats it
        if not carried or not previous.quotes or re.search(r"\w", previous.outside):
            continue
        attribution = empty[0] if empty else _bare_attribution(sentence, people)
        if attribution is not None:
            previous.statements = [
                replace(
                    attribution,
                    kind="direct",
                    start=previous.start,
                    end=previous.end,
                    content_start=previous.start,
                    content_end=previous.end,
                )
            ]


def _bare_attribution(sentence: _Sentence, people: _People) -> Statement | None:
    """The statement of "Menendez asked Fraser.", a name and a verb of speaking, if that is all the sentence is."""
    if signed := _SIGNATURE.match(sentence.text):  # a pull quote's "— Diane Bazella"
        name = signed.group(1) or signed.group(2)
        speaker, via = people.resolve(name)
        if speaker is None or signed.group(2) and not speaker.person:  # "Credit, Getty Images": no one
            return None
        at = sentence.start
        return Statement(speaker, name, "direct", via, "—", at, sentence.end, at, at)
    if sentence.quotes or len(_WORD.findall(sentence.outside)) > 6:
        return None
    for cue in _CUE.finditer(sentence.outside):
        written, _ = _subject_before(sentence.outside, cue.start())
        speaker, via = people.resolve(written)
        if speaker is not None:
            at = sentence.start
            return Statement(speaker, written, "direct", via, cue.group().lower(), at, sentence.end, at, at)
    return None


def _repeated_quotations(sentences: list[_Sentence]) -> None:
    """A pull quote, a statement's words quoted again elsewhere in the article, is that statement's speaker's."""
    stated = sorted((s for s in sentences if s.statements), key=lambda s: s.statements[0].via == "continued")
    said = [(_words(s.text), s.statements[0]) for s in stated]  # named ones first
    for sentence in sentences:
        if sentence.statements and sentence.statements[0].via != "continued" or not sentence.quotes:
            continue
        quoted = _words(" ".join(sentence.text[a:b] for a, b in sentence.quotes))
        if len(quoted.split()) < 6:
            continue
        for words, statement in said:
            if quoted in words and words != _words(sentence.text):
                sentence.statements = [_continued(statement, sentence)]
                break


def _quotations_after_narration(sentences: list[_Sentence]) -> None:
    """An interview's quotation after a line or two of narration ("Teale had no intention of joining his
    father at the quarry. / “I was going nowhere really."): the last speaker's, if no one else who speaks in
    the article is named between them (a writer names whoever else a quotation would be)."""
    speakers = {_surname(st.speaker.person) for s in sentences for st in s.statements if st.speaker.person}
    for number, sentence in enumerate(sentences):
        if sentence.statements or not _lead(sentence.text).startswith((_OPEN, '"')) or _CUE.search(sentence.outside):
            continue  # "“...,” one fan wrote": someone else, unnamed
        between = sentences[max(0, number - NARRATION_SENTENCES) : number]  # headings in capitals are left out
        spoke = [s for s in between if s.statements]
        if not spoke:
            continue
        last = spoke[-1].statements[-1]
        after = between[between.index(spoke[-1]) + 1 :]
        surname = (last.speaker.person or "").split()[-1:]
        named = {m.group().split()[-1] for s in after for m in _NAME.finditer(s.outside)} & speakers
        spoken = any(_CUE.search(s.outside) for s in after)  # "“...,” said someone else. / “...”"
        if last.speaker.person and not named - set(surname) and not spoken:
            sentence.statements = [_continued(last, sentence)]


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _spread_over_quotations(sentences: list[_Sentence]) -> None:
    """Each sentence of a quotation over several sentences is the statement of whoever one of them names."""
    run: list[_Sentence] = []
    for sentence in [*sentences, None]:
        if sentence is not None and sentence.opens_inside and run:
            run.append(sentence)
            continue
        direct = [st for s in run for st in s.statements if st.kind == "direct"]
        named = [st for st in direct if st.via != "continued"] or direct  # its own attribution over one carried on
        if len(run) > 1 and named:
            for member in run:
                if all(st.via == "continued" for st in member.statements):
                    member.statements = [_continued(named[0], member)]
        run = [sentence] if sentence is not None else []


def _in_sentence(sentence: _Sentence, people: _People) -> list[Statement]:
    text, outside = sentence.text, sentence.outside
    cues = [cue for cue in _CUE.finditer(outside) if _cue_applies(cue, sentence)]
    found: list[Statement] = []
    for cue in sorted(cues, key=lambda cue: cue.group().lower() in _SOURCE_CUES):  # "according to" last:
        number, verb = cues.index(cue), cue.group().lower()
        if verb in _SOURCE_CUES and found:
            continue  # "Trump said, according to Discourse Blog": the outlet only reports what he said
        before_text = text[: cue.start()].rstrip()
        written, subject_start = _subject_before(outside, cue.start())
        if not written and re.search(r",? (?:and|but)(?: also| then)?\s*$", outside[: cue.start()]):
            written, subject_start = _subject_after(outside, _subject_starts(outside))  # "Markov ..., but said"
        after_quote = before_text.endswith((",", _CLOSE, '"', "’", "'", ",”", ',"')) or not before_text.strip()
        inverted = verb in _SOURCE_CUES or not written and after_quote and verb not in ("told", "tells")
        if inverted:
            written, subject_start = _subject_after(outside, cue.end())  # "..., said Kalin", "according to X"
        if written.lower() in PRONOUNS and (topic := _AS_FOR.match(outside)):  # "As for Geerts, she said ...": Geerts
            written = topic.group(1)
        if written == "it" and outside[:subject_start].rstrip().endswith(","):
            written = _subject_of_clause(outside, subject_start) or written
        speaker, via = people.resolve(written)
        if speaker is None:
            continue
        people.saw(speaker)  # "Sylvester said, as he noted that ...": he is Sylvester
        kind = "according_to" if verb in _SOURCE_CUES else "reported"
        near = [q for q in sentence.quotes if _nearest(q, cues) == number]
        if kind == "reported" and sum(len(_WORD.findall(text[a:b])) for a, b in near) >= QUOTED_WORDS:
            kind = "direct"
            content = (min(a for a, _ in near), max(b for _, b in near))
        elif inverted and before_text.strip():
            content = (0, cue.start())  # "..., said Kalin.", "..., according to Reuters."
        elif inverted:
            content = (subject_start + len(written), len(text))  # "According to Reuters, ..."
        elif subject_start > 0 and _attributes_before(outside, cue.end()):
            content = (0, subject_start)  # "..., Kalin said (in an interview)."
        else:
            following = cues[number + 1].start() if number + 1 < len(cues) else len(text)
            content = (cue.end(), following)
        start, end = sentence.start + content[0], sentence.start + max(content)
        found.append(Statement(speaker, written, kind, via, verb, sentence.start, sentence.end, start, end))
    return found or _participle_statements(sentence, people) or _introduced_statements(sentence, people)


def _participle_statements(sentence: _Sentence, people: _People) -> list[Statement]:
    """A quotation after a participle: "Jordan showed no signs of stepping aside, insisting: “...”", "A Google
    spokesperson offered a statement, saying “...”": the speaker is the subject of the sentence (or the name
    right before the participle: "UAW President Shawn Fain calling for a “just transition”")."""
    outside = sentence.outside
    for cue in _PARTICIPLE.finditer(outside):
        quoted = [q for q in sentence.quotes if 0 <= q[0] - cue.end() < 40]
        if not quoted:
            continue
        written, before = "", outside[: cue.start()]
        if with_name := re.search(r"\bwith ((?:[A-Z][\w.’'-]*|[a-z]+) (?:[\w.’'-]+ ){0,4}?[A-Z][\w’'-]+)\s*$", before):
            written = with_name.group(1)  # "..., with UAW President Shawn Fain calling for “...”"
        elif not before.rstrip().endswith(","):
            written, _ = _subject_before(outside, cue.start())
        if not written:
            written, _ = _subject_after(outside, _subject_starts(outside))
        speaker, via = people.resolve(written)
        if speaker is None:
            return []
        people.saw(speaker)
        at = sentence.start
        content = (at + quoted[0][0], at + quoted[-1][1])
        return [Statement(speaker, written, "direct", via, cue.group(), at, sentence.end, *content)]
    return []


def _introduced_statements(sentence: _Sentence, people: _People) -> list[Statement]:
    """A quotation a person introduces with a colon, as tributes are listed ('Actor Sir Ian McKellen: "...')."""
    introduced = _COLON_INTRODUCED.match(sentence.text)
    if introduced is None:
        return []
    speaker, via = people.resolve(introduced.group(1))
    if speaker is None or speaker.person is None:  # "Quote of the day: “...": no one
        return []
    people.saw(speaker)
    at = sentence.start
    written = introduced.group(1)
    return [Statement(speaker, written, "direct", via, ":", at, sentence.end, at + introduced.end(), sentence.end)]


def _subject_of_clause(outside: str, aside: int) -> str:
    """The subject a parenthetical "it" stands for ("Hikvision has marketed features that would, it claimed,
    detect ..."): the sentence's named subject, if a verb and more come between (not "SGE, it argues, ...")."""
    subject, start = _subject_after(outside, _subject_starts(outside))
    clause = _WORD.findall(outside[start + len(subject) : aside])
    if subject[:1].isupper() and len(clause) >= 3 and not outside[start + len(subject) :].startswith(","):
        return subject
    return ""


def _subject_starts(outside: str) -> int:
    """Where a sentence's subject starts: past an opening phrase ("At the DealBook Summit, he ...")."""
    first = _WORD.match(outside.lstrip())
    comma = outside.find(",")
    if first and comma != -1 and first.group().lower() in _OPENERS | _PREPOSITIONS | {"ahead", "speaking"}:
        return comma + 1
    return len(outside) - len(outside.lstrip())


def _cue_applies(cue: re.Match[str], sentence: _Sentence) -> bool:
    """Whether a cue word attributes here: "added" before a number is a price, "continued" only after a
    quotation, "called" only with one after it."""
    verb = cue.group().lower()
    after = _WORD.findall(sentence.outside[cue.end() :])
    before = _WORD.findall(sentence.outside[: cue.start()])[-1:]
    quoted_next = any(0 <= a - cue.end() < 4 for a, _ in sentence.quotes)  # She continued, “...
    quoted_before = any(0 <= cue.start() - b < 40 for _, b in sentence.quotes)  # “...,” Menendez continued
    punctuated = sentence.outside[cue.end() : cue.end() + 1] in (",", ":")  # "Sylvester agreed, stressing ..."
    opens = quoted_next or punctuated or after and _opens_content(after[0])
    if verb in ("added", "adds", "agreed", "agrees") and after and not opens:
        return False  # "Goodman added 0.5 per cent", "Wild Magic adds a flair", "agreed to a deal"
    if verb in ("found", "shared", "identified", "estimates", "estimated"):  # "found that ...", not "found a way"
        return bool(after) and after[0] == "that" or verb == "shared" and quoted_before  # “...,” he shared.
    if verb in ("reported", "reports") and after[:1] == ["from"]:
        return False  # "Larson reported from Washington.": a byline
    if verb in ("tells", "told") and " ".join(after[:2]).lower() in ("the story", "a story", "the tale", "a tale"):
        return False  # "Lucashenko tells the story of Mulanyin": a novel's plot
    if verb == "states" and before and (before[0].lower() in _NOT_STATING or before[0].isdigit()):
        return False  # "Other states with possible cases", "the 50 states"
    if verb in AFTER_QUOTE_CUES:
        return quoted_next or quoted_before
    if verb in BELIEF_CUES:
        return quoted_next or bool(after) and _opens_content(after[0])
    if verb in CLAUSE_CUES:
        clause = bool(after) and after[0].lower() in _NEVER_SPEAKERS | {"he", "she", "the", "a", "an"}  # "there were"
        return quoted_next or quoted_before or punctuated or "that" in after[:3] or clause
    if verb in QUOTING_CUES:
        return any(a >= cue.end() for a, _ in sentence.quotes)
    return True


def _opens_content(word: str) -> bool:
    """Whether what follows a cue can be what was said: "that", a quotation, a colon or comma, a clause."""
    return (
        word.lower() in ("that", "with", "it", "he", "she", "they", "we", "the")
        or word[:1] in ':,“"'
        or (word.endswith((",", ":")))
    )


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
    """The speaker named right before a cue ("... Erdogan spokesman Ibrahim Kalin said"), and where it
    starts; past an apposition or relative clause set off by commas ("Aaron Westaway, a UAW member, told")."""
    at = len(_TIME_BEFORE_CUE.sub("", text[:at]))  # "China's Ministry of Commerce last week announced"
    at = len(_AGE_AND_HOME.sub("", text[:at]))  # "Diane Bazella, 64, of Minnetonka, Minnesota, told"
    at = len(re.sub(r"\s+and others\s*$", "", text[:at]))  # "Fed Chair Jerome Powell and others have warned"
    words = list(_WORD.finditer(text[:at]))
    taken: list[re.Match[str]] = []
    document = ""
    for number, word in reversed(list(enumerate(words))):
        gap = text[word.end() : taken[0].start() if taken else at]
        value = word.group()
        if value == "to" and taken and number and is_role(words[number - 1].group()):
            taken.insert(0, word)  # "Former U.S. Ambassador to NATO Kurt Volker told"
            continue
        if gap.strip():
            if not taken and gap.strip() == ",":
                return _past_apposition(text, word.end() + gap.index(","))
            break
        if not taken and value.lower() in _RELATIVES and number and words[number - 1].group().lower() in _THEIR:
            return text[words[number - 1].start() : word.end()], words[number - 1].start()  # "his mother said"
        if not taken and (value in _BETWEEN or value.endswith("ly") and value.islower()):
            at = word.start()  # "Turkish officials have stressed", "Diana candidly tells"
            continue
        if value.lower() in _DOCUMENTS and not taken:  # "the Luminate report stated": the organisation
            document, at = value.lower(), word.start()
            continue
        if value in ("it", "It") and not taken:  # "it also says": the organisation quoted just before
            return "it", word.start()
        if value in ("who", "which") and not taken:  # "Caroline Ellison, who claimed": the name before the clause
            comma = text.rfind(",", 0, word.start())
            if comma != -1 and not text[comma + 1 : word.start()].strip():
                return _subject_before(text, comma)
            break
        if taken and taken[0].group().lower() in PRONOUNS:
            break  # "Credit: Getty Images He said": a pronoun is the whole subject
        if _speaker_word(value) or value.lower() in _CONNECTORS and taken:
            taken.insert(0, word)
            continue
        if value.lower() in _PREPOSITIONS:  # "in Washington said": no speaker, unless "the report from X"
            ahead = _WORD.findall(text[: word.start()])[-1:]
            if taken and ahead and ahead[0].lower() in _DOCUMENTS | {"data"}:
                break
            return "", -1
        break
    while taken and (taken[0].group().lower() in _CONNECTORS - {"the", "a", "an"} or _opener(taken[0].group())):
        taken.pop(0)
    if not taken or all(w.group().lower() in _CONNECTORS for w in taken):
        if document and re.search(r"\b(?:the|its|their)\s*$", text[:at], re.IGNORECASE):
            return f"the {document}", text[:at].rstrip().rfind(" ") + 1  # "the report said": whose report
        return "", -1
    return text[taken[0].start() : taken[-1].end()], taken[0].start()


def _past_apposition(text: str, comma: int) -> tuple[str, int]:
    """The name before ", <apposition>," that ends at `comma` ("Peter Easton" in "a professor ..., Peter
    Easton, testified"; "Aaron Westaway" in "Aaron Westaway, a UAW member, told")."""
    opening = text.rfind(",", 0, comma)
    if opening == -1:
        return "", -1
    inner = text[opening + 1 : comma].strip()
    words = inner.split()
    limit = 2 * APPOSITION_WORDS if words[:1] in (["who"], ["whose"]) else APPOSITION_WORDS  # a relative clause
    if not words or len(words) > limit:  # "First, owners should ... diseases, said Dr. Jerry Klein"
        return "", -1
    if _PARTY.match(inner):  # "Rep. Carlos Gimenez, R-Fla., said"
        return _subject_before(text, opening)
    if authored := _AUTHORED_BY.match(inner):  # "The case, filed by publisher Helena World Chronicle, argues"
        return authored.group(1), text.index(authored.group(1), opening)
    described = any(w.lower().strip(",.’'s") in ROLES for w in words)
    if all(_speaker_word(w) or w.lower() in _CONNECTORS for w in words) and words[0][:1].isupper() and not described:
        return inner, text.index(inner, opening)  # "a professor ..., Peter Easton, testified"
    if words[0][:1].islower() or described:  # "Aaron Westaway, a UAW member ..., told"; "X, TikTok's Head of Music,"
        name, start = _subject_before(text, opening)  # "Aaron Westaway, a UAW member ..., told"
        earlier = text.rfind(",", 0, start) if name[:1].islower() else -1
        if earlier != -1 and re.fullmatch(r"(?: ?[a-z-]+){0,3} ?", text[earlier + 1 : start]):
            person, first = _subject_before(text, earlier)  # "Dr. Gregg Sylvester, chief health officer at CSL
            if person and parse(person).person:  # Seqirus, a New Jersey company, noted": the person first named
                return f"{person}, {text[earlier + 1 : opening].strip()}", first
        before = text[:start].rstrip()
        if name and parse(name).person is None and before.endswith(","):  # "Omer Davidi, CEO & co-founder,
            person, first = _subject_before(text, len(before))  # BeeHero, an Israeli agritech startup, told"
            if person and parse(person).person:
                return f"{person}, {name}, {inner}", first
        if name:
            return f"{name}, {inner}", start
    return "", -1


def _subject_after(text: str, at: int) -> tuple[str, int]:
    """The speaker named right after a cue ("..., said Jens Stoltenberg", "according to Reuters"), past the
    document that carries their words ("according to data from CME Group")."""
    if relative := _RELATIVE_NAMED.match(text, at):  # "said his mother, Jessica Goeller, in an interview"
        return relative.group(1).strip(), relative.start(1)
    skipped = _DOCUMENT_OF.match(text, at + 1 if text[at : at + 1] == " " else at)
    if skipped is not None:
        at = skipped.end() - 1
    taken: list[re.Match[str]] = []
    for word in _WORD.finditer(text, at):
        gap = text[taken[-1].end() if taken else at : word.start()]
        if gap.strip():
            break
        verb = word.group().endswith("ed") and any(t.group()[:1].isupper() for t in taken)  # "Amnesty surveyed"
        if _speaker_word(word.group()) or word.group().lower() in _CONNECTORS or not verb and _describes(text, word):
            taken.append(word)
            continue
        break
    while taken and taken[-1].group().lower() in _CONNECTORS:
        taken.pop()
    if not taken:
        return "", -1
    named = text[taken[0].start() : taken[-1].end()].rstrip(".,")
    described = re.match(r"[^,.;]{0,60}?,\s+((?:[A-Z][\w’'-]+\.? ?){2,4})(?=[.,;]|$)", text[taken[-1].end() :])
    if described and any(w.group().lower() in ROLES for w in taken):  # "executive GM of marketing, Loretta Johns"
        return f"{described.group(1).strip()}, {named}", taken[0].start()
    return named, taken[0].start()


def _describes(text: str, word: re.Match[str]) -> bool:
    """A lower-case word right before a name: "former", "outfielder" in "said former outfielder Lars Nootbaar"."""
    value = word.group()
    if _AGED.fullmatch(value):  # "said the 42-year-old"
        return True
    if not value.isalpha() or not value.islower() or value in _NOT_SPEAKERS | _PREPOSITIONS | _OPENERS:
        return False
    for following in list(_WORD.finditer(text, word.end()))[:3]:  # "veteran legislator Rep. Tom Cole"
        if following.group()[:1].isupper():
            return True
        if following.group() in _NOT_SPEAKERS | _PREPOSITIONS | _OPENERS | _CONNECTORS:
            return False
        if not following.group().isalpha():
            return False
    return False


def _speaker_word(word: str) -> bool:
    bare = word.strip(".,").removesuffix("’s").removesuffix("'s")
    lower = bare.lower()
    if lower in _NOT_SPEAKERS and (bare.islower() or lower in _NEVER_SPEAKERS):
        return False
    return bare[:1].isupper() or lower in ROLES or lower in ORGANISATION_NOUNS or lower in PRONOUNS


def _opener(word: str) -> bool:
    return word.lower() in _OPENERS


class _People:
    """Who an article names, and who it has quoted so far: to resolve "he", "the spokesman" and surnames."""

    def __init__(self, text: str, starts: list[int]) -> None:
        self.text = text
        self.starts = starts or [0]  # where each sentence starts
        self.speakers: list[tuple[int, Speaker]] = []  # (sentence number, speaker) of each statement so far
        # where the sentence before starts, where this one (or the quotation it is in) starts, its number, and
        # the number of the sentence that quotation began in
        self.before = self.position = self.sentence = self.opened = 0
        # full names anywhere in the article, and the words before them ("former President ... Donald Trump")
        self.named: list[tuple[int, str, str]] = []
        for match in _NAME.finditer(text):
            if match.group().isupper():  # a heading in capitals ("ARKANSAS MILITARY VETERAN RECEIVES ...")
                continue
            words = _name_words(match, text)
            if len(words) >= 2:
                before = re.findall(r"[\w’'-]+", text[max(0, match.start() - 80) : match.start()].lower())[-8:]
                self.named.append((match.start(), " ".join(words), " ".join([*before, match.group().lower()])))
        # where each named person is mentioned, by full name or surname: whom "he" may be
        self.mentions: list[tuple[int, str]] = []
        people = {name for _, name, _ in self.named if parse(name).person}
        self.first_names = self._first_names(people)
        for name in people:
            for found in re.finditer(rf"\b{re.escape(_surname(name))}\b", text):
                self.mentions.append((found.start(), name))
        surnames = Counter(_surname(name) for name in people)
        shared = {surname for surname, count in surnames.items() if count > 1}
        for first, name in self.first_names.items():  # "Jada" of "Jada Pinkett Smith", beside Will Smith
            if _surname(name) not in shared:
                continue
            for found in re.finditer(rf"\b{re.escape(first)}\b(?! {re.escape(name.split()[1])})", text):
                self.mentions.append((found.start(), name))
        self.mentions.sort()
        self.genders = _genders(text, self.mentions)
        for _, name, context in self.named:  # "his mother, Jessica Goeller", "Mrs. Smith": said outright
            said = _words_before(name, context, 2)
            if said & _WOMEN or said & _MEN:
                self.genders[name] = "she" if said & _WOMEN else "he"

    @staticmethod
    def _first_names(people: set[str]) -> dict[str, str]:
        """The first names that only one person of the article has, and that person ("Will" -> Will Smith)."""
        by_first: dict[str, set[str]] = {}
        for name in people:
            first = name.split()[0]
            if len(name.split()) > 1 and first.isalpha() and first.istitle() and first not in _NOT_FIRST_NAMES:
                by_first.setdefault(first, set()).add(name)
        return {first: next(iter(names)) for first, names in by_first.items() if len(names) == 1}

    def reached(self, position: int, sentence: int, quotation: int) -> None:
        """At the sentence numbered `sentence`, starting at `position`, in a quotation that began at
        `quotation` (its own start if none): whom "he" means is read from before the quotation."""
        if quotation == position:  # not inside a quotation begun in a sentence before
            self.before, self.opened = self.position, sentence
        self.position, self.sentence = quotation, sentence

    def saw(self, speaker: Speaker) -> None:
        self.speakers.append((self.sentence, speaker))

    def resolve(self, written: str) -> tuple[Speaker | None, str]:
        """The speaker `written` names, and how it was found (name, pronoun, role); None if nobody fits."""
        words = written.split()
        if not words:
            return None, ""
        if written.lower() in PRONOUNS:
            return self._pronoun(written.lower()), "pronoun"
        if len(words) == 2 and words[0].lower() in _THEIR and words[1].lower() in _RELATIVES:
            return self._relative(words[1].lower()), "role"  # "his mother said": "his mother, Jessica Goeller"
        if words[-1] in _LEGAL:  # "the complaint states": whoever brought it, quoted first
            first = [speaker for _, speaker in self.speakers if not speaker.person]
            return (first[0] if first else None), "role"
        if written == "it" or words[-1] in _DOCUMENTS:  # "it said", "the report said": an organisation just quoted
            since = self.sentence - (2 if written == "it" else 8)
            recent = [speaker for n, speaker in self.speakers if not speaker.person and n >= since]
            return (recent[-1] if recent else None), "pronoun" if written == "it" else "role"
        body = [w for w in words if w.lower() not in _CONNECTORS and country_of(w) is None]
        if words[-1].lower() in ORGANISATION_NOUNS and country_of(written) and all(w.islower() for w in body):
            return Speaker(written.removeprefix("the ").removeprefix("The "), country=country_of(written)), "name"
        if all(w.lower() in ROLES | ORGANISATION_NOUNS | _CONNECTORS | {"former", "current"} for w in words):
            return self._role(words[-1].lower()), "role"  # "the spokesman", "the former president"
        if all(w.lower() in _CONNECTORS or w.strip(".") in TITLES for w in words):
            return None, ""
        if _AGED.search(written) and not any(w[:1].isupper() for w in words[1:]):
            return self._role(""), "role"  # "says the 42-year-old father of three"
        if re.fullmatch(r"(?:the |The )?[A-Z]\w*-[a-z]+", written):  # "the Oscar-winner": a description
            return self._role("star"), "role"
        speaker = parse(written)
        if speaker.person is None and speaker.organisation and words[-1].lower() in ROLES:
            found = self._role(words[-1].lower(), of=speaker.organisation)  # "the Judiciary Committee chairman"
            if found is None and words[-1].lower() in PERSONAL_ROLES:  # "the United manager", "the King Richard
                found = self._quoted_just_before(within=DESCRIBED_SENTENCES)  # star": the one quoted lately
                if found is None:
                    return None, ""  # a person, unnamed: not the organisation
            if found is not None:
                return found, "role"
        head = written.split(", ")[0]  # "Brus, a professor emeritus at Columbia": Brus
        single = speaker.person is None and len(head.removeprefix("the ").split()) == 1
        if single or speaker.person and len(speaker.person.split()) == 1:
            by_first = not head.lower().startswith("the ")  # "the Luminate report" names no first name
            full = self._full_name((speaker.person or head).split()[-1], first=by_first)
            if full is not None:  # "Haq" after "Farhan Haq" (and "Jordan" after "Jim Jordan"): the person
                return full if speaker.person is None else replace(full, mention=speaker.mention), "name"
        return self._speaking_for(speaker, words), "name"

    def _speaking_for(self, speaker: Speaker, words: list[str]) -> Speaker:
        """A person named with the kind of body they speak for ("agency spokeswoman Elizabeth Trudeau" after
        "the State Department said"): that body, the last of its kind quoted, and its country."""
        kinds = [w.lower() for w in words if w.lower() in ORGANISATION_NOUNS]
        if not speaker.person or speaker.organisation or not kinds:
            return speaker
        body = self._role(kinds[-1])
        if body is None or body.person:
            return speaker
        return replace(speaker, organisation=body.organisation, country=speaker.country or body.country)

    def _pronoun(self, pronoun: str) -> Speaker | None:
        """Whom "he" or "she" means: the unnamed spokesman or spokeswoman just quoted, else the person quoted in
        the two sentences before, else the first person the sentence before names with a role or has quoted,
        else the person it opens with, else of the people named just before the one the article names most; one
        the article (or their first name) calls "he" for "he", "she" for "she" (preferred over those called
        neither)."""

        def called(person: str) -> bool:  # the article calls them so: a person, not "West Ham"
            return self.genders.get(person) == pronoun

        def fits(person: str) -> bool:
            return self.genders.get(person, pronoun) == pronoun

        last = self.speakers[-1] if self.speakers else None
        if last and last[0] >= self.sentence - 2 and not last[1].person:  # "A TikTok spokeswoman denied ..."
            if _SPOKESPERSON[pronoun] in last[1].mention.lower().split():  # "A spokeswoman for the CPPA said"
                return last[1]
        if (quoted := self._quoted_just_before(fits)) is not None:
            return quoted
        previous = [(at, n) for at, n in self.mentions if self.before <= at < self.position and fits(n)]
        latest = [n for _, n in previous if self._introduced(n)]
        if latest:  # the sentence before names a person ("ex-Spurs boss Tim Sherwood"): its first, its subject
            return self._full_name(_surname(latest[0])) or parse(latest[0])
        subject = [n for at, n in previous if self._subject_at(at)]
        if subject:  # "Brembs points to the small number tested. / “...,” he says": whom the sentence before is about
            return self._full_name(_surname(subject[0])) or parse(subject[0])
        for test in (called, fits):
            before = [(at, name) for at, name in self.mentions if at < self.position and test(name)]
            if before:  # of those named in the sentences just before, whom the article names most
                recent = {name for position, name in before if position >= before[-1][0] - 600}
                counts = {name: sum(name == other for _, other in self.mentions) for name in recent}
                chosen = max(sorted(recent), key=lambda name: counts[name])
                return self._full_name(_surname(chosen)) or parse(chosen)
        return next((s for _, s in reversed(self.speakers) if s.person and fits(s.person)), None)

    def _subject_at(self, at: int) -> bool:
        """Whether the name at `at` is what its sentence opens with: its subject ("Property developer Miki
        Naimi, who ..., does not sound bothered")."""
        start = self.starts[bisect_right(self.starts, at) - 1] if at >= self.starts[0] else 0
        return len(_WORD.findall(self.text[start:at])) <= SUBJECT_WORDS

    def _introduced(self, name: str) -> bool:
        """Whether the article gives this name a role ("ex-Spurs boss Tim Sherwood") or quotes them: a person."""
        if any(speaker.person == name for _, speaker in self.speakers):
            return True
        return any(named == name and _words_before(name, context, 3) & _ROLE_WORDS for _, named, context in self.named)

    def _full_name(self, surname: str, first: bool = False) -> Speaker | None:
        """The person the article names in full whose surname (or, with `first`, first name) is this."""
        for _, earlier in reversed(self.speakers):
            if earlier.person and len(earlier.person.split()) > 1 and _surname(earlier.person) == surname:
                return earlier
        for _, name, _ in self.named:
            if _surname(name) == surname and parse(name).person:
                return parse(name)
        if first and surname in self.first_names:  # "Will said", "Craig noted": the one person of that first name
            return parse(self.first_names[surname])
        for _, name, context in self.named:  # a family name written first ("Shen" of "said Shen Yamei, director")
            spoken = set(context.split()) & (set(CUES) | ROLES)
            if name.split()[0] == surname and len(name.split()) == 2 and spoken and parse(name).person:
                return parse(name)
        return None

    def _role(self, role: str, of: str | None = None) -> Speaker | None:
        """Who "the spokesman" (or "the Judiciary Committee chairman", `of` an organisation) is: the last one
        quoted or named as such; for a description of no one in particular ("the expert", "the 42-year-old"),
        the person quoted in the last two sentences."""
        of_words = set(of.lower().split()) if of else set()
        if role in _FAME:  # every celebrity is a "star": the one being quoted, else the one the article is about
            return self._quoted_just_before() or self._named_lately()
        for _, earlier in reversed(self.speakers):
            if of_words and not of_words <= set(earlier.mention.lower().split()):
                continue
            if role and role in earlier.mention.lower().split() or role in ORGANISATION_NOUNS and not earlier.person:
                return earlier  # "the company": the last organisation quoted
        for position, name, context in reversed(self.named):
            if of_words and not of_words <= set(context.split()):
                continue
            if position < self.position and role in context.split() and (person := parse(name)).person:
                return person  # "the former president": "former President ... Donald Trump" before
        if of_words or role in ORGANISATION_NOUNS or role in _DISTINCT_ROLES:
            return None
        return self._quoted_just_before(within=DESCRIBED_SENTENCES if role in PERSONAL_ROLES else 2)

    def _relative(self, relation: str) -> Speaker | None:
        """Who "his mother" is: the person last named as someone's mother before this sentence."""
        for position, name, context in reversed(self.named):
            if (
                position < self.position
                and relation in _words_before(name, context, 3)
                and (person := parse(name)).person
            ):
                return person
        return None

    def _named_lately(self) -> Speaker | None:
        """The person last named in the few sentences before this one whom the article quotes or gives a role,
        or who a sentence opens with ("Dean Cain has one child ... / In 2014, the actor told People")."""
        recent = [(at, name) for at, name in self.mentions if self.position - 600 <= at < self.position]
        chosen = next((n for at, n in reversed(recent) if self._introduced(n) or self._subject_at(at)), None)
        return (self._full_name(_surname(chosen)) or parse(chosen)) if chosen else None

    def _quoted_just_before(self, fits: Callable[[str], bool] = lambda person: True, within: int = 2) -> Speaker | None:
        """The last person quoted in this sentence or the `within` before it (of those who `fits`)."""
        for number, earlier in reversed(self.speakers):
            if earlier.person and number >= self.opened - within and fits(earlier.person):
                return earlier
        return None


def _genders(text: str, mentions: list[tuple[int, str]]) -> dict[str, str]:
    """ "he" or "she", by name: what the article goes on to call them (in the 300 characters after naming them,
    before it names anyone else) when it does so at least `SURE_CALLS` times and three times as often as the
    other; else what most people of their first name are, by the census; else what it calls them twice as
    often as the other. A surname two of them share counts only where written in full."""
    counts: dict[str, list[int]] = {}
    later = [at for at, _ in mentions]
    shared = Counter(later)
    for number, (at, name) in enumerate(mentions, 1):
        counts.setdefault(name, [0, 0])
        if shared[at] > 1 and not text.startswith(name, at - name.rfind(_surname(name))):
            continue  # "Goeller" of a mother and of her son: neither's, unless written in full
        following = next((p for p in later[number:] if p > at), len(text))  # "Smith": Will's and Jada's at once
        window = text[at : min(following, at + 300)].lower()
        counts[name][0] += len(_HE.findall(window))
        counts[name][1] += len(_SHE.findall(window))
    genders = {}
    for name, (he, she) in counts.items():
        sure = max(he, she) >= SURE_CALLS and 3 * min(he, she) <= max(he, she)
        census = pronoun_of_first_name(name.split()[0])
        if sure or census is None:
            if he > 2 * she or she > 2 * he:
                genders[name] = "he" if he > she else "she"
        else:
            genders[name] = census
    return genders


def _words_before(name: str, context: str, count: int) -> set[str]:
    """The `count` lower-case words right before a name, of the `context` `_People.named` keeps with it."""
    size = len(name.split())
    return set(context.split()[-size - count : -size])


def _name_words(match: re.Match[str], text: str) -> list[str]:
    """The words of a full name as the article writes it, past what only stands before it: titles ("Call to
    protect Australians Senator James Paterson"), an acronym ("Ambassador to NATO Kurt Volker"), a possessive
    ("Oregon’s Andrea Cantu-Schomus"), a heading's verb ("Leading Everton for almost two decades"); none after
    "the" ("the Baltimore Banner") or inside an abbreviation ("U.S. President": not "S. Donald")."""
    if re.search(r"(?:\b[Tt]he\s+|\.)$", text[max(0, match.start() - 4) : match.start()]):
        return []
    words = match.group().split()
    titled = [i for i, w in enumerate(words) if w.strip(".") in TITLES]
    words = [w for w in words[titled[-1] + 1 if titled else 0 :] if not _opener(w)]
    possessive = [i for i, w in enumerate(words[:-1]) if _unpossessed(w) != w]
    words = words[possessive[-1] + 1 if possessive else 0 :]
    if len(words) > 2 and words[0].isupper() and len(words[0]) > 1:
        words = words[1:]
    line_start = match.start() == 0 or text[match.start() - 1] == "\n"
    if words and line_start and words[0].endswith("ing") and words[0] == match.group().split()[0]:
        words = words[1:]
    if not words or words[-1].endswith(".") and len(words[-1]) <= 3 or any(w in ("The", "A", "An") for w in words):
        return []  # "Former U."
    return [_unpossessed(w) for w in words]


def _unpossessed(word: str) -> str:
    return word.removesuffix("’s").removesuffix("'s")


def _surname(name: str) -> str:
    """The last word of a name that is no suffix ("John J. Ray III" -> Ray)."""
    words = [w for w in name.split() if w.strip(".,") not in ("Jr", "Sr", "II", "III", "IV")]
    return (words or name.split())[-1]
