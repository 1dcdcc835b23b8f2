"""Chunks keep exact offsets into the article text; sentences are found with offsets too."""

from __future__ import annotations

from conftest import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingestion.chunking import chunk_article
from assistant.ingestion.files import load_articles
from assistant.records import Article
from assistant.text import sentence_spans


def test_sample_chunks_slice_back_to_their_text() -> None:
    for article in load_articles([SAMPLES]):
        assert isinstance(article, Article)
        chunks = chunk_article(article, chunk_size=300, chunk_overlap=60)
        assert len(chunks) > 3
        for chunk in chunks:
            assert article.text[chunk.char_start : chunk.char_end] == chunk.text
            assert len(chunk.text) <= 300
        # together they cover the whole article
        assert chunks[0].char_start == 0 and chunks[-1].char_end == len(article.text)
        assert len({chunk.chunk_id for chunk in chunks}) == len(chunks)


def test_chunks_break_at_sentence_ends() -> None:
    text = " ".join(f"Sentence number {i} talks about topic {i} at some length." for i in range(40))
    chunks = chunk_article(Article(doc_id="d", text=text), chunk_size=200, chunk_overlap=50)
    assert all(chunk.text.endswith(".") for chunk in chunks)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=3000), st.integers(50, 400))
def test_offsets_round_trip_for_any_text(text: str, size: int) -> None:
    article = Article(doc_id="d", text=text)
    for chunk in chunk_article(article, chunk_size=size, chunk_overlap=size // 5):
        assert text[chunk.char_start : chunk.char_end] == chunk.text


def test_sentence_spans_are_exact_sentences() -> None:
    text = '“We welcome it,” Haq said. Café société is here.\n\nThe U.S. said "no." Fine.'
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    assert sentences[:2] == ["“We welcome it,” Haq said.", "Café société is here."]
    assert "".join(sentences).replace(" ", "") == text.replace(" ", "").replace("\n", "")
