"""Domain objects: what goes into the index and what comes out of a question."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.text import to_timestamp

# A progress callback: (event, count). Indexing: "article", "embedded", and for URLs "fetched",
# "cached", "failed"; evaluation: "total" announces, "done" advances.
Progress = Callable[[str, int], None]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArticleFields(_Model):
    """An article's metadata, as every record that carries it (article, passage) holds it."""

    title: str = ""
    source: str = ""  # the outlet
    published_at: str | None = None  # ISO 8601
    url: str = ""

    def article_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ArticleFields.model_fields}

    @staticmethod
    def stored_fields(stored: Mapping[str, Any]) -> dict[str, Any]:
        """The fields of an article's metadata as the store keeps it (with a chunk, or in a segment's list)."""
        return {name: stored[name] for name in ArticleFields.model_fields if stored.get(name) is not None}


class Article(ArticleFields):
    """A cleaned article: `text` is what chunk offsets and quotes refer to."""

    doc_id: str
    text: str
    path: str = ""  # where it was read from

    def chunk_metadata(self, chunk: Chunk) -> dict[str, Any]:
        """What the store keeps beside each chunk: the article's fields, the outlet lower-cased and
        the date as a timestamp to filter on, the chunk's offsets (Chroma takes no None)."""
        metadata = {"doc_id": self.doc_id, **self.article_fields(), "source_lc": self.source.lower()}
        metadata |= {"char_start": chunk.char_start, "char_end": chunk.char_end}
        if (timestamp := to_timestamp(self.published_at)) is not None:
            metadata["published_ts"] = timestamp
        return {key: value for key, value in metadata.items() if value is not None}

    def entry(self, digest: str) -> dict[str, Any]:
        """The article in its segment's list: its fields, content hash and path."""
        return {"doc_id": self.doc_id, "hash": digest, "path": self.path, **self.article_fields()}

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any], text: str) -> Article:
        return cls(doc_id=entry["doc_id"], text=text, **ArticleFields.stored_fields(entry))


class Chunk(_Model):
    """A slice of an article: `article.text[char_start:char_end] == text`."""

    chunk_id: str
    doc_id: str
    text: str
    char_start: int
    char_end: int


class Passage(ArticleFields):
    """A retrieved chunk with its article's metadata and its retrieval scores."""

    chunk: Chunk
    score: float = 0.0  # fused score
    similarity: float | None = None  # dense cosine similarity
    keyword_score: float | None = None  # BM25
    evidence: list[tuple[int, int]] = Field(default_factory=list)  # sentences given to the LLM, chunk offsets
    judged: float | None = None  # the answerability judge's P that its best sentence states the answer
    judged_sentences: list[tuple[int, int, float]] = Field(default_factory=list)  # (start, end, P) of those judged

    @classmethod
    def from_stored(
        cls,
        chunk_id: str,
        text: str,
        metadata: Mapping[str, Any],
        score: float,
        similarity: float | None,
        keyword_score: float | None,
    ) -> Passage:
        """A chunk as the store gives it back: its text and the metadata `Article.chunk_metadata` made."""
        chunk = Chunk(
            chunk_id=chunk_id,
            doc_id=metadata["doc_id"],
            text=text,
            char_start=metadata["char_start"],
            char_end=metadata["char_end"],
        )
        fields = ArticleFields.stored_fields(metadata)
        return cls(chunk=chunk, score=score, similarity=similarity, keyword_score=keyword_score, **fields)

    def of_article(self) -> dict[str, Any]:
        """The chunk's place and its article's fields, flat (as LangChain's metadata and citations want them)."""
        return {**self.chunk.model_dump(exclude={"text"}), **self.article_fields()}


class Statement(ArticleFields):
    """Who said what, where: a statement of an indexed article (`assistant.statements`)."""

    doc_id: str
    speaker: str = Field(description="The speaker as the article names them in full")
    person: str | None = None
    organisation: str | None = None
    country: str | None = Field(None, description="The country or body speaking through them")
    written: str = Field(description="How the statement's sentence names the speaker: a name, 'he', 'the spokesman'")
    kind: str = Field(description="direct (quoted), reported, or according_to")
    via: str = Field(description="name, pronoun, role, or continued (a quotation going on from the sentence before)")
    cue: str = Field(description="The verb that attributes it: said, told, warned, according to")
    text: str = Field(description="The sentence(s), as in the article")
    char_start: int = Field(description="Offsets of the sentence(s) in the article's text")
    char_end: int
    content_start: int = Field(description="What is attributed: the quotation or the reported clause")
    content_end: int

    def overlaps(self, start: int, end: int) -> bool:
        """Whether its sentence(s) overlap the article's text from `start` to `end`."""
        return self.char_start < end and start < self.char_end


class Quote(_Model):
    """A sentence of an article: `article.text[char_start:char_end] == text`."""

    char_start: int
    char_end: int
    text: str


class Citation(_Model):
    """A `[n]` marker of the answer, resolved to the sentence(s) it quotes."""

    n: int
    doc_id: str
    title: str
    source: str
    published_at: str | None
    url: str
    chunk_id: str
    char_start: int  # offsets of `quote` in the article text
    char_end: int
    quote: str  # the first of `quotes`
    quotes: list[Quote] = Field(default_factory=list)  # every sentence of it the claims citing it rest on
    support: float = 0.0  # share of the claims' weighted words the quotes hold (the lowest over its claims)
    verified: bool = False  # every claim citing it is held by its quotes (numbers included)


class Retrieved(_Model):
    """A retrieved chunk; `n` is its number in the prompt, None if no sentence of it was shown."""

    n: int | None
    chunk_id: str
    doc_id: str
    score: float
    similarity: float | None
    keyword_score: float | None


class Answer(_Model):
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = Field(default_factory=list)
    uncited_sentences: list[str] = Field(default_factory=list)
    removed_markers: list[int] = Field(default_factory=list)
    corrected_markers: list[dict[str, int | None]] = Field(default_factory=list)  # {"from": 3, "to": 1}
    unsupported_sentences: list[str] = Field(default_factory=list)  # claims no shown sentence holds
    confidence: float | None = None  # the estimated chance the answer is right, 0..1 (None: not rated)
    low_confidence: bool = False  # under the doubt threshold: shown with a notice
    signals: dict[str, float] = Field(default_factory=dict)  # what the confidence was read from
    retrieved: list[Retrieved] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    prompt_tokens: int | None = None
    models: dict[str, str] = Field(default_factory=dict)

    def confidence_note(self) -> str:
        """The confidence as a reader is told it: a label, not only a number ("" when not rated)."""
        if self.confidence is None:
            return ""
        if self.refused:
            return f"Confidence {self.confidence:.2f}: too low to answer."
        if self.low_confidence:
            return f"Low confidence ({self.confidence:.2f}): the articles may not state this; check the quotes."
        return f"Confidence {self.confidence:.2f}."
