from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.console import err, out

app = typer.Typer(help="Build and inspect the index.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Exit non-zero if any input could not be read.")]


@app.command()
def build(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders of articles (default: the remembered ones).")
    ] = None,
    json_output: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Bring the index in line with PATHS: embed new and changed articles, drop deleted ones."""
    _build(paths, rebuild=False, json_output=json_output, strict=strict)


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


def _build(paths: list[Path] | None, rebuild: bool, json_output: bool, strict: bool) -> None:
    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from assistant.indexer import build_index
    from assistant.settings import load_settings

    settings = load_settings()
    counts = {"article": 0, "embedded": 0}
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("reading articles")

        def advance(event: str, count: int) -> None:
            counts[event] += count
            progress.update(
                task, description=f"{counts['article']} articles read, {counts['embedded']} chunks embedded"
            )

        report = build_index(paths or None, settings, rebuild=rebuild, progress=advance)
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
    if strict and report.problems:
        raise typer.Exit(1)
