"""Domain objects: what goes into the index and what comes out of a question."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

# A progress callback: (event, count). Indexing: "article", "embedded", and for URLs "fetched",
# "cached", "failed"; evaluation: "total" announces, "done" advances.
Progress = Callable[[str, int], None]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Article(_Model):
    """A cleaned article: `text` is what chunk offsets and quotes refer to."""

    doc_id: str
    text: str
    title: str = ""
    source: str = ""
    published_at: str | None = None  # ISO 8601
    url: str = ""
    path: str = ""  # where it was read from


class Chunk(_Model):
    """A slice of an article: `article.text[char_start:char_end] == text`."""

    chunk_id: str
    doc_id: str
    text: str
    char_start: int
    char_end: int


class Passage(_Model):
    """A retrieved chunk with its article's metadata and its retrieval scores."""

    chunk: Chunk
    title: str = ""
    source: str = ""
    published_at: str | None = None
    url: str = ""
    score: float = 0.0  # fused score
    similarity: float | None = None  # dense cosine similarity
    keyword_score: float | None = None  # BM25
    evidence: list[tuple[int, int]] = Field(default_factory=list)  # sentences given to the LLM, chunk offsets


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
