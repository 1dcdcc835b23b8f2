"""Sentence-aware chunks that keep their character offsets into the article text."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.records import Article, Chunk

if TYPE_CHECKING:  # imported when first used: `ask` needs sentences only, not the splitter (0.24 s)
    from langchain_text_splitters import RecursiveCharacterTextSplitter

# Paragraphs, then lines, then sentence ends, then clauses, then words.
_SEPARATORS = ["\n\n", "\n", r"(?<=[.!?])[\"'”’)\]]*\s+", r"(?<=[;:,])\s+", r"\s+", ""]


@lru_cache(maxsize=8)
def _splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=_SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        strip_whitespace=True,
    )


def chunk_article(article: Article, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Split an article; each chunk's offsets slice back to its exact text."""
    chunks: list[Chunk] = []
    cursor = 0
    for piece in _splitter(chunk_size, chunk_overlap).split_text(article.text):
        start = article.text.find(piece, cursor)
        if start == -1:  # overlap moved the piece before the cursor
            start = article.text.find(piece)
        end = start + len(piece)
        chunks.append(
            Chunk(
                chunk_id=chunk_id(article.doc_id, start, end),
                doc_id=article.doc_id,
                text=piece,
                char_start=start,
                char_end=end,
            )
        )
        cursor = start + 1
    return chunks


def chunk_id(doc_id: str, start: int, end: int) -> str:
    """A stable id: the same article span always gets the same id."""
    digest = hashlib.sha1(doc_id.encode()).hexdigest()[:12]
    return f"{digest}:{start}-{end}"
