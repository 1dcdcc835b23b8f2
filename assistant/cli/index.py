from __future__ import annotations

import dataclasses
import json
from typing import Annotated

import typer

from assistant.cli.console import err, out

app = typer.Typer(help="Build and inspect the index.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Exit non-zero if any input could not be read.")]


@app.command()
def build(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files or folders of articles, or URLs of pages, RSS/Atom feeds and sitemaps "
            "(default: the remembered ones).",
            show_default=False,
        ),
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Drop the articles a feed or sitemap no longer lists.")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Sitemaps: only pages modified on or after this date (remembered).")
    ] = None,
    json_output: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Bring the index in line with PATHS: embed new and changed articles, drop deleted ones.

    URLs are asked whether they changed (ETag, Last-Modified), so a refresh fetches and embeds only what is new.
    """
    _build(paths, rebuild=False, json_output=json_output, strict=strict, prune=prune, since=since)


@app.command()
def rebuild(json_output: JsonOption = False, strict: StrictOption = False) -> None:
    """Rebuild the index from scratch from the remembered paths."""
    _build(None, rebuild=True, json_output=json_output, strict=strict)


@app.command()
def status(json_output: JsonOption = False) -> None:
    """Articles, chunks, embedding model and last build of the index."""
    from rich.markup import escape

    from assistant.settings import load_settings
    from assistant.store import index_status

    info = index_status(load_settings())
    if json_output:
        out.print_json(json.dumps(dataclasses.asdict(info)))
        return
    for key, value in dataclasses.asdict(info).items():
        out.print(f"[bold]{key}[/]: {escape(str(value))}")


def _build(
    paths: list[str] | None,
    rebuild: bool,
    json_output: bool,
    strict: bool,
    prune: bool = False,
    since: str | None = None,
) -> None:
    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from assistant.indexer import build_index
    from assistant.retrieval import Filters
    from assistant.settings import load_settings

    settings = load_settings()
    if since is not None:
        since = Filters.parse(since=since).since
    counts = dict.fromkeys(("article", "embedded", "fetched", "cached", "failed"), 0)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("reading articles")

        def advance(event: str, count: int) -> None:
            counts[event] += count
            web = counts["fetched"] + counts["cached"] + counts["failed"]
            pages = f"{counts['fetched']} pages fetched, {counts['cached']} unchanged, {counts['failed']} failed; "
            progress.update(
                task,
                description=f"{pages if web else ''}{counts['article']} articles read, "
                f"{counts['embedded']} chunks embedded",
            )

        report = build_index(paths or None, settings, rebuild=rebuild, progress=advance, prune=prune, since=since)
    for problem in report.problems:
        err.print(f"[yellow]skipped[/] {escape(problem.path)}: {escape(problem.reason)}")
    if json_output:
        out.print_json(json.dumps(dataclasses.asdict(report)))
    else:
        out.print(
            f"{report.articles} articles, {report.chunks} chunks in {escape(report.index_dir)} "
            f"({report.added} added, {report.updated} updated, {report.removed} removed, "
            f"{report.unchanged} unchanged; {report.chunks_embedded} chunks embedded; "
            f"{len(report.problems)} skipped) in {report.seconds:.1f} s"
        )
        if report.web:
            web = report.web
            out.print(
                f"web: {web.requests} requests, {web.fetched} fetched ({web.bytes / 1e6:.2f} MB), "
                f"{web.not_modified} not modified, {web.listed_unchanged} listed unchanged (not requested), "
                f"{web.failed} failed, {web.duplicates} duplicates"
            )
    if strict and report.problems:
        raise typer.Exit(1)
