"""The MCP server over anything with `ask`, `retrieve` and `article`: an `Assistant`, a server's client, its queue."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Protocol

from mcp.server.mcpserver import MCPServer, ResourceSecurity
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field, ValidationError

from assistant.answering.retrieval import Filters
from assistant.errors import AssistantError, problems
from assistant.records import Answer, Article, Passage, Statement
from assistant.server.engine import MAX_QUESTION

INSTRUCTIONS = """\
A private archive of news articles. Use `ask` for a question about what the articles report: it answers
only from them, and every claim carries a [n] citation whose quote is an exact sentence of an article
(`verified` says the quote holds the claim). Relay the citations with the answer. When `refused` is
true the articles do not answer the question: say so rather than answering from memory. Use
`search_articles` to find passages or check coverage without an answer, and `get_article` (or the
resource article://{doc_id}) to read a whole article; citations' offsets point into its text."""


class Archive(Protocol):
    """What the tools need: `Assistant`, `RemoteAssistant` and the server's queue all have it."""

    def ask(self, question: str, top_k: int | None = None, filters: Filters | None = None) -> Answer: ...

    def retrieve(self, query: str, top_k: int | None = None, filters: Filters | None = None) -> list[Passage]: ...

    def article(self, doc_id: str) -> Article | None: ...

    def statements(
        self, speaker: str | None = None, about: str | None = None, filters: Filters | None = None, limit: int = 50
    ) -> list[Statement]: ...


Count = Annotated[int | None, Field(ge=1, le=50, description="How many passages to retrieve (default: the setting).")]
Outlets = Annotated[
    list[str] | str | None, Field(description='Only articles from these outlets, e.g. ["BBC News"]; any case.')
]
Since = Annotated[str | None, Field(description="Only articles published on or after this date, YYYY-MM-DD.")]
Until = Annotated[str | None, Field(description="Only articles published on or before this date, YYYY-MM-DD.")]
_CITATION = {"n", "doc_id", "title", "source", "published_at", "url", "quote", "quotes", "char_start", "char_end"}
_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_ANSWER = {"answer", "refused", "confidence", "low_confidence", "unsupported_sentences"}


class _Server(MCPServer):
    """MCPServer whose argument errors are one line a model can act on ("k: Input should be ...")."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as error:
            if not isinstance(error.__cause__, ValidationError):
                raise
            raise ToolError(f"bad arguments to {name}: {problems(error.__cause__.errors())}") from None


def build_server(archive: Archive) -> MCPServer:
    """The MCP server whose tools and resources answer from `archive`."""
    server = _Server("assistant", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(annotations=_READ_ONLY)
    def search_articles(
        query: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION, description="What to look for.")],
        k: Count = None,
        source: Outlets = None,
        since: Since = None,
        until: Until = None,
    ) -> list[dict[str, Any]]:
        """Find the passages of the archive most relevant to a query, best first, without writing an answer.

        Each passage has its article's doc_id, title, outlet (`source`), date, url, its text and where the
        text sits in the article (char_start, char_end). Use it to see what the archive holds on a topic,
        to gather material, or when the user wants sources rather than an answer."""
        with _as_tool_errors():
            passages = archive.retrieve(query, k, _filters(source, since, until))
        return [_passage(passage) for passage in passages]

    @server.tool(annotations=_READ_ONLY)
    def ask(
        question: Annotated[
            str, Field(min_length=1, max_length=MAX_QUESTION, description="The question, self-contained.")
        ],
        k: Count = None,
        source: Outlets = None,
        since: Since = None,
        until: Until = None,
    ) -> dict[str, Any]:
        """Answer a question from the archive's articles, with each claim cited to the sentence it rests on.

        Returns `answer` (text with [n] markers), `citations` (n, article doc_id, title, outlet, date, url,
        the quoted sentence and its offsets in the article, `verified`: the quote holds the claim),
        `refused` (true: the articles do not answer it; do not answer from elsewhere), `confidence`
        (0..1, the estimated chance the answer is right) and `low_confidence`. Ask one self-contained
        question per call (name who or what it is about); it takes seconds to a minute."""
        with _as_tool_errors():
            answer = archive.ask(question, k, _filters(source, since, until))
        return answer.model_dump(mode="json", include=_ANSWER) | {
            "citations": [c.model_dump(mode="json", include=_CITATION | {"verified"}) for c in answer.citations]
        }

    @server.tool(annotations=_READ_ONLY)
    def find_statements(
        speaker: Annotated[
            str | None, Field(max_length=200, description="Who: a person, organisation or country ('the US').")
        ] = None,
        about: Annotated[str | None, Field(max_length=MAX_QUESTION, description="Words the statement uses.")] = None,
        source: Outlets = None,
        since: Since = None,
        until: Until = None,
        limit: Annotated[int, Field(ge=1, le=200, description="Statements at most.")] = 30,
    ) -> list[dict[str, Any]]:
        """Who said what: the statements the archive's articles attribute to a speaker, newest first.

        Each has the speaker as the article names them (`speaker`), the `person`, `organisation` and
        `country` speaking, how the sentence names them (`written`: a name, "he", "the spokesman"), the
        verb (`cue`), `kind` (direct quote, reported, according_to), the sentence (`text`) and its offsets
        in the article (doc_id, char_start, char_end). Use it for "what did X say about Y" before `ask`,
        and to check who said a quoted sentence."""
        with _as_tool_errors():
            found = archive.statements(speaker, about, _filters(source, since, until), limit)
        return [statement.model_dump(mode="json") for statement in found]

    @server.tool(annotations=_READ_ONLY)
    def get_article(
        doc_id: Annotated[str, Field(min_length=1, description="The doc_id of a passage or citation.")],
    ) -> dict[str, Any]:
        """The whole text and metadata (title, outlet, date, url) of one article of the archive, by the doc_id
        a passage or citation gave. Citations' char_start/char_end point into this text."""
        return _article(archive, doc_id)

    @server.resource(
        "article://{+doc_id}",
        name="article",
        description="An article of the archive: its title, outlet, date, url and text, as JSON.",
        mime_type="application/json",
        security=ResourceSecurity(exempt_params={"doc_id"}),  # a doc_id is a key of the index, not a path
    )
    def article_resource(doc_id: str) -> dict[str, Any]:
        return _article(archive, doc_id)

    return server


def _article(archive: Archive, doc_id: str) -> dict[str, Any]:
    with _as_tool_errors():
        found = archive.article(doc_id)
    if found is None:
        raise ToolError(f"no article {doc_id!r} in the index: take a doc_id from search_articles or a citation")
    return found.model_dump(mode="json", exclude={"path"})


def _filters(source: list[str] | str | None, since: str | None, until: str | None) -> Filters:
    return Filters.parse([source] if isinstance(source, str) else source, since, until)


def _passage(passage: Passage) -> dict[str, Any]:
    chunk = passage.chunk
    return {
        "doc_id": chunk.doc_id,
        **passage.article_fields(),
        "text": chunk.text,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "score": round(passage.score, 4),
    }


@contextmanager
def _as_tool_errors() -> Iterator[None]:
    """An `AssistantError` (a bad date, no index, a busy server) reaches the caller as its one-line message."""
    try:
        yield
    except AssistantError as error:
        raise ToolError(str(error)) from None
