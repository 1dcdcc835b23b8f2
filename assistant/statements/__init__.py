"""Who said what: statements found in articles when they are indexed, listed and matched by speaker."""

from typing import Any

from assistant.records import Article
from assistant.statements.extract import Statement, extract
from assistant.statements.speakers import Speaker

__all__ = ["Speaker", "Statement", "extract", "stored_statements"]


def stored_statements(article: Article) -> list[dict[str, Any]]:
    """An article's statements as its segment stores them."""
    return [statement.record(article.text) for statement in extract(article.text)]
