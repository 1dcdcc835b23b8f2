from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.console import err, out

if TYPE_CHECKING:
    from assistant.ingestion.indexer import BuildReport

app = typer.Typer(help="Add, remove and refresh the sources of the index, and inspect it.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Exit non-zero if any input could not be read.")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Say what would be added, updated, removed and embedded; write nothing.")
]
PruneOption = Annotated[bool, typer.Option("--prune", help="Drop the articles a feed or sitemap no longer lists.")]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="Sitemaps: only pages modified on or after this date (remembered).")
]
SOURCES_HELP = "Files or folders of articles, or URLs of pages, RSS/Atom feeds and sitemaps."


@app.command()
def add(
    sources: Annotated[list[str], typer.Argument(help=SOURCES_HELP, show_default=False)],
    since: SinceOption = None,
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Add SOURCES to the index and embed what they hold that is new or changed; other sources are not touched.

    A path that does not exist or a URL that fails is an error, and then nothing changes.
    """
    _build(sources, json_output=json_output, strict=strict, since=since, dry_run=dry_run)


@app.command()
def remove(
    sources: Annotated[list[str], typer.Argument(help="Sources as `assistant index sources` lists them.")],
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
) -> None:
    """Remove SOURCES and their articles (those no other source also gives)."""
    from assistant.ingestion.indexer import remove_sources
    from assistant.settings import load_settings

    report = remove_sources(sources, load_settings(), dry_run=dry_run)
    _print_report(report, json_output)


@app.command()
def build(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help=f"{SOURCES_HELP} Given: the same as `index add`.", show_default=False),
    ] = None,
    prune: PruneOption = False,
    since: SinceOption = None,
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Refresh every source: embed new and changed articles, drop those deleted from a folder.

    URLs are asked whether they changed (ETag, Last-Modified), so a refresh fetches and embeds only what is new.
    A source that gives nothing now (a moved folder, an unmounted disk) keeps its articles and is reported.
    """
    _build(paths, json_output=json_output, strict=strict, prune=prune, since=since, dry_run=dry_run)


@app.command()
def rebuild(json_output: JsonOption = False, strict: StrictOption = False) -> None:
    """Rebuild the index from scratch from its sources (each must be readable, or nothing changes)."""
    _build(None, rebuild=True, json_output=json_output, strict=strict)


@app.command()
def sources(json_output: JsonOption = False) -> None:
    """The sources of the index: kind, articles, when each was added and last read."""
    from rich.markup import escape

    from assistant.settings import load_settings
    from assistant.store import index_status

    infos = index_status(load_settings()).sources
    if json_output:
        out.print_json(json.dumps([dataclasses.asdict(info) for info in infos]))
        return
    for info in infos:
        read = (info.refreshed_at or "never").replace("T", " ")[:16]
        out.print(f"{info.kind:<8} {info.articles:>6} articles  read {read:<16}  {escape(info.source)}")


@app.command()
def status(json_output: JsonOption = False) -> None:
    """Articles, chunks, sources, embedding model and last build of the index."""
    from rich.markup import escape

    from assistant.settings import load_settings
    from assistant.store import index_status

    info = dataclasses.asdict(index_status(load_settings()))
    if json_output:
        out.print_json(json.dumps(info))
        return
    listed = info.pop("sources")
    info.pop("paths")
    for key, value in info.items():
        out.print(f"[bold]{key}[/]: {escape(str(value))}")
    out.print(f"[bold]sources[/]: {len(listed)}")
    for source in listed:
        out.print(f"  {source['kind']}, {source['articles']} articles: {escape(source['source'])}")


def _build(
    paths: list[str] | None,
    json_output: bool,
    strict: bool,
    rebuild: bool = False,
    prune: bool = False,
    since: str | None = None,
    dry_run: bool = False,
) -> None:
    from assistant.answering.retrieval import Filters
    from assistant.ingestion.indexer import build_index
    from assistant.settings import load_settings

    settings = load_settings()
    if since is not None:
        since = Filters.parse(since=since).since
    with _progress() as advance:
        report = build_index(
            paths or None, settings, rebuild=rebuild, progress=advance, prune=prune, since=since, dry_run=dry_run
        )
    _print_report(report, json_output)
    if strict and (report.problems or report.missing):
        raise typer.Exit(1)


def _print_report(report: BuildReport, json_output: bool) -> None:
    """Problems and missing sources on stderr; the summary (or JSON) on stdout."""
    from rich.markup import escape

    for problem in report.problems:
        err.print(f"[yellow]skipped[/] {escape(problem.path)}: {escape(problem.reason)}")
    for missing in report.missing:
        err.print(
            f"[yellow]source missing:[/] {escape(missing.source)}, its {missing.articles} articles kept; "
            f"`assistant index remove {escape(missing.source)}` to drop them"
        )
    if json_output:
        out.print_json(json.dumps(dataclasses.asdict(report)))
        return
    for source in report.sources_added:
        out.print(f"{'would add' if report.dry_run else 'added'} source {escape(source)}")
    for source in report.sources_removed:
        out.print(f"{'would remove' if report.dry_run else 'removed'} source {escape(source)}")
    if report.dry_run:
        out.print(
            f"dry run, nothing written: would add {report.added}, update {report.updated} and remove "
            f"{report.removed} articles ({report.unchanged} unchanged) and embed {report.chunks_embedded} chunks; "
            f"{report.articles} articles after; {len(report.problems)} skipped"
        )
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


@contextmanager
def _progress() -> Iterator[Callable[[str, int], None]]:
    """A spinner on stderr counting articles read, chunks embedded and pages fetched."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    counts = dict.fromkeys(("article", "embedded", "fetched", "cached", "failed"), 0)
    columns = SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("reading articles")

        def advance(event: str, count: int) -> None:
            counts[event] += count
            web = counts["fetched"] + counts["cached"] + counts["failed"]
            pages = f"{counts['fetched']} pages fetched, {counts['cached']} unchanged, {counts['failed']} failed; "
            read = f"{counts['article']} articles read, {counts['embedded']} chunks embedded"
            bar.update(task, description=f"{pages if web else ''}{read}")

        yield advance
