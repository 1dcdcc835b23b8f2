"""Statements of the indexed articles, found by speaker, topic, outlet and date."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import Any

from assistant.records import Article, ArticleFields, Statement
from assistant.statements import stored_statements
from assistant.statements.extract import extract
from assistant.statements.speakers import parse
from assistant.store import Index
from assistant.text import tokenize


def statements(index: Index) -> Iterator[Statement]:
    """Every statement of the live articles, article by article in index order."""
    for doc_id in index.articles:
        yield from statements_of(index, doc_id)


def statements_of(index: Index, doc_id: str) -> list[Statement]:
    """The statements of one live article (none if it is not indexed, or was indexed before statements)."""
    found = index.articles.get(doc_id)
    if found is None:
        return []
    entry, position = found
    return [_statement(doc_id, entry, stored) for stored in index.segments[position].statements.get(doc_id, ())]


def statements_in(article: Article) -> list[Statement]:
    """The statements of an article not indexed (read now, as indexing reads them)."""
    entry = article.article_fields()
    return [_statement(article.doc_id, entry, stored) for stored in stored_statements(article)]


def claimed_speaker(claim: str) -> str | None:
    """Whom a claim of an answer says spoke, by name ("The Erdogan spokesman said ..." -> "The Erdogan
    spokesman"); None if it attributes nothing, only to "he" or "she", or says whose report it follows
    ("according to The Verge": the outlet, which the checker reads from the article's metadata)."""
    for statement in extract(claim):
        if statement.via == "name" and statement.kind != "according_to" and statement.written.lower() != "it":
            return statement.written
    return None


_ASKED = re.compile(
    r"\bwhat (?:did|does|do|has|have|had|will|would) (?P<who>.+?) "
    r"(?:say|said|tell|told|announce|warn|claim|argue|think|state|write|tweet|post|report|reveal|suggest)\b",
    re.IGNORECASE,
)


def asked_speaker(question: str) -> str | None:
    """Whose words a question asks for ("What did the US say about Russia and Daesh?" -> "the US")."""
    found = _ASKED.search(question)
    return found.group("who") if found else None


def unread_articles(index: Index) -> int:
    """Live articles indexed before statements were found (an index to rebuild for them)."""
    return sum(doc_id not in index.segments[position].statements for doc_id, (_, position) in index.articles.items())


def find_statements(
    index: Index,
    speaker: str | None = None,
    about: str | None = None,
    sources: Collection[str] = (),
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
) -> list[Statement]:
    """The statements of `speaker` (a person, organisation or country) on `about`, in `sources` and the dates
    (inclusive ISO), newest first; with `about`, those sharing most of its words first."""
    outlets = {source.lower() for source in sources}
    wanted = set(tokenize(about)) if about else set()
    found = []
    for statement in statements(index):
        if outlets and statement.source.lower() not in outlets:
            continue
        date = statement.published_at or ""
        if since and not (date and date >= since) or until and not (date and date[: len(until)] <= until):
            continue
        if speaker and not speaks_for(speaker, statement):
            continue
        shared = len(wanted & set(tokenize(statement.text))) if wanted else 0
        if wanted and shared * 2 < len(wanted):
            continue
        found.append((shared, date, statement))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [statement for _, _, statement in found[:limit]]


def speaks_for(query: str, statement: Statement) -> bool:
    """Whether `query` names the statement's speaker: the person ("Kalin", "UN spokesman Farhan Haq"), their
    organisation ("State Department"), or the country or body speaking through them ("the US")."""
    wanted = parse(query.strip())
    parts = (statement.speaker, statement.person, statement.organisation)
    names = set(tokenize(" ".join(part or "" for part in parts)))
    if wanted.person:  # a person named: their surname, whatever the titles around it
        surname = set(tokenize(wanted.person.split()[-1])) or set(tokenize(wanted.person))  # "France In": no "in"
        return bool(surname) and surname <= names
    if wanted.country is not None and wanted.country == statement.country:
        return True
    own = set(tokenize(wanted.organisation or "")) or set(tokenize(query))
    return bool(own) and own <= names


def _statement(doc_id: str, entry: dict[str, Any], stored: dict[str, Any]) -> Statement:
    return Statement(doc_id=doc_id, **ArticleFields.stored_fields(entry), **stored)
