from __future__ import annotations

import json
from typing import Annotated

import typer

from assistant.cli.ask import SearchOptions, open_assistant
from assistant.cli.console import out


def search(
    query: Annotated[str, typer.Argument(help="What to look for, in quotes.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    top_k: SearchOptions.top_k = None,
    source: SearchOptions.source = None,
    since: SearchOptions.since = None,
    until: SearchOptions.until = None,
) -> None:
    """The passages most relevant to QUERY, best first: retrieval only, no LLM."""
    from rich.markup import escape

    from assistant.answering.retrieval import Filters

    passages = open_assistant().retrieve(query, top_k=top_k, filters=Filters.parse(source, since, until))
    if json_output:
        out.print_json(json.dumps([passage.model_dump(mode="json", exclude={"evidence"}) for passage in passages]))
        return
    for rank, passage in enumerate(passages, 1):
        details = " · ".join(
            part for part in (passage.source, (passage.published_at or "")[:10], passage.chunk.doc_id) if part
        )
        out.print(f"[bold]{rank}.[/] {escape(passage.title or passage.chunk.doc_id)}  [dim]{passage.score:.3f}[/]")
        out.print(f"    [dim]{escape(details)} · characters {passage.chunk.char_start}-{passage.chunk.char_end}[/]")
        out.print(f"    {escape(' '.join(passage.chunk.text.split())[:300])}")
    if not passages:
        out.print("no passage is relevant enough (ASSISTANT_MIN_SIMILARITY)")
