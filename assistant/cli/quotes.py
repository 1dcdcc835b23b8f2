from __future__ import annotations

import json
from typing import Annotated

import typer

from assistant.cli.ask import SearchOptions, open_assistant
from assistant.cli.console import err, out


def quotes(
    speaker: Annotated[
        str | None, typer.Option("--speaker", help="A person, organisation or country: 'Kalin', 'the US'.")
    ] = None,
    about: Annotated[str | None, typer.Option("--about", help="Only statements using most of these words.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Statements to list at most.")] = 50,
    source: SearchOptions.source = None,
    since: SearchOptions.since = None,
    until: SearchOptions.until = None,
) -> None:
    """Who said what: the statements of the indexed articles, with their speaker, outlet, date and sentence."""
    from rich.markup import escape

    from assistant.answering.retrieval import Filters

    assistant = open_assistant()
    found = assistant.statements(speaker, about, Filters.parse(source, since, until), limit)
    if json_output:
        out.print_json(json.dumps([statement.model_dump(mode="json") for statement in found]))
        return
    for statement in found:
        who = statement.speaker
        if statement.written != who:  # "he", "the spokesman", a surname: whom it was read as
            who += f" ({statement.written})"
        details = " · ".join(
            part
            for part in (statement.source, (statement.published_at or "")[:10], statement.doc_id, statement.kind)
            if part
        )
        out.print(f"[bold]{escape(who)}[/] {escape(statement.cue)}")
        out.print(f"    [dim]{escape(details)} · characters {statement.char_start}-{statement.char_end}[/]")
        out.print(f"    {escape(' '.join(statement.text.split()))}")
    if not found:
        err.print("no statement found" + (f" of {speaker!r}" if speaker else ""))
