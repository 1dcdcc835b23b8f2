from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.console import err, out
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.answering.qa import Assistant
    from assistant.records import Answer
    from assistant.server.client import RemoteAssistant


class SearchOptions:
    """The retrieval options `ask` and `search` share."""

    top_k = Annotated[int | None, typer.Option("--top-k", "-k", min=1, help="Passages to retrieve.")]
    source = Annotated[list[str] | None, typer.Option("--source", help="Only articles from this outlet (repeatable).")]
    since = Annotated[str | None, typer.Option(help="Only articles published on or after this date.")]
    until = Annotated[str | None, typer.Option(help="Only articles published on or before this date.")]


def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
    top_k: SearchOptions.top_k = None,
    source: SearchOptions.source = None,
    since: SearchOptions.since = None,
    until: SearchOptions.until = None,
) -> None:
    """Answer QUESTION from the indexed articles, citing the sentences it rests on."""
    from assistant.answering.retrieval import Filters

    filters = Filters.parse(source, since, until)
    assistant = open_assistant()
    if json_output:
        with err.status("thinking…"):
            answer = assistant.ask(question, top_k=top_k, filters=filters)
        out.print_json(answer.model_dump_json())
        return

    answer = streamed(lambda show: assistant.ask(question, top_k=top_k, filters=filters, on_text=show))
    print_sources(answer)


def streamed(ask: Callable[[Callable[[str], None]], Answer]) -> Answer:
    """Run `ask` with its answer text written to stdout as it comes, and a spinner until it does."""
    status = err.status("searching the articles…")
    status.start()
    shown = False

    def show(text: str) -> None:
        nonlocal shown
        status.stop()
        out.file.write(text)
        out.file.flush()
        shown = True

    try:
        answer = ask(show)
    except BaseException as error:
        if shown:
            out.file.write("\n")
            if isinstance(error, AssistantError):
                raise type(error)(f"{error}: the text above is incomplete") from None
        raise
    finally:
        status.stop()
    out.file.write("\n")
    return answer


def open_assistant(long_running: bool = False) -> Assistant | RemoteAssistant:
    """The assistant of the settings: in this process, or a running server's (ASSISTANT_SERVER_URL); a
    `long_running` session (`chat`) keeps the embedded model in a worker process that survives its crash."""
    from assistant.answering.qa import Assistant
    from assistant.settings import load_settings

    settings = load_settings()
    if settings.server_url:
        from assistant.server.client import RemoteAssistant

        token = settings.server_token.get_secret_value() if settings.server_token else None
        return RemoteAssistant(settings.server_url, token, timeout=settings.llm_timeout * (settings.server_queue + 1))
    return Assistant(settings, model_in_worker=long_running)


def print_sources(answer: Answer) -> None:
    from rich.markup import escape

    if note := answer.confidence_note():
        out.print(f"[yellow]{escape(note)}[/]" if answer.low_confidence else f"[dim]{escape(note)}[/]")
    if answer.citations:
        out.print("\n[bold]Sources[/]")
    for citation in answer.citations:
        details = " · ".join(
            part
            for part in (
                citation.source,  # left out where unknown
                (citation.published_at or "")[:10],
                citation.doc_id,
            )
            if part
        )
        out.print(f"[bold][{citation.n}][/] {escape(citation.title or citation.doc_id)}")
        out.print(f"    [dim]{escape(details)}[/]")
        if citation.url:
            out.print(f"    [dim]{escape(citation.url)}[/]")
        for quote in [q.text for q in citation.quotes] or [citation.quote]:
            out.print(f"    “{escape(quote)}”")
        if not citation.verified:
            out.print(f"    [yellow]does not hold the claim citing it (support {citation.support:.2f})[/]")
    for sentence in answer.uncited_sentences:
        err.print(f"[yellow]not backed by a citation:[/] {escape(sentence)}")
    for sentence in answer.unsupported_sentences:
        err.print(f"[yellow]not supported by the sources:[/] {escape(sentence)}")
    for change in answer.corrected_markers:
        moved = f"[{change['from']}] -> " + (f"[{change['to']}]" if change["to"] is not None else "none")
        err.print(f"[yellow]citation corrected:[/] {escape(moved)} (what it cited does not hold the claim)")
    if answer.removed_markers:
        numbers = ", ".join(f"[{n}]" for n in sorted(set(answer.removed_markers)))
        err.print(f"[yellow]removed citations of passages that were not retrieved:[/] {escape(numbers)}")
