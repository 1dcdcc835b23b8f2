from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.console import err, out

if TYPE_CHECKING:
    from rich.table import Table


def evaluate(
    questions: Annotated[Path, typer.Argument(help="JSONL (or YAML) questions: id, question, answer, evidence...")],
    corpus: Annotated[
        Path | None, typer.Option(help="Index this corpus into a throw-away index first (reused if up to date).")
    ] = None,
    retrieval_only: Annotated[bool, typer.Option("--retrieval-only", help="Score retrieval only, no LLM.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N questions.")] = None,
    baseline: Annotated[
        bool, typer.Option("--baseline", help="Also run the plain LangChain pipeline (needs --corpus).")
    ] = False,
    report: Annotated[Path | None, typer.Option(help="Write the JSON report here (.md and .png beside it).")] = None,
    compare: Annotated[Path | None, typer.Option(help="An earlier JSON report to show deltas against.")] = None,
    judge: Annotated[
        bool, typer.Option("--judge", help="Also have the configured LLM grade each answer against the gold one.")
    ] = False,
    without_gold: Annotated[
        bool,
        typer.Option(
            "--without-gold",
            help="Answer each question without its gold articles: how often it refuses when the evidence is missing.",
        ),
    ] = False,
    fit_confidence: Annotated[
        Path | None,
        typer.Option(
            help="Answer each question with and without its gold articles, fit the confidence model on those "
            "answers and write it here (ship it as assistant/confidence/fitted.json)."
        ),
    ] = None,
    exclude: Annotated[
        Path | None,
        typer.Option(help="Leave out the questions of this file (those the confidence model was fitted on)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run scripted questions and score retrieval, answers, citations, refusals and cost."""
    from assistant.evaluation import report as reports
    from assistant.evaluation.harness import evaluate as run_evaluation
    from assistant.settings import load_settings

    previous = json.loads(compare.read_text()) if compare else None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    started = time.monotonic()
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("questions", total=None)

        def advance(stage: str, count: int) -> None:
            if stage == "total":
                progress.update(task, total=count)
                return
            progress.advance(task, count)
            if not err.is_terminal:  # a log or a pipe shows no bar: a line at each tenth of the questions
                done, total = int(progress.tasks[0].completed), int(progress.tasks[0].total or 0)
                if total and (done == total or done % max(1, total // 10) == 0):
                    err.print(f"eval: {done}/{total} questions, {time.monotonic() - started:.0f} s")

        result = run_evaluation(
            questions,
            load_settings(),
            corpus,
            retrieval_only,
            limit,
            baseline,
            advance,
            judge,
            without_gold,
            fit_confidence,
            exclude,
        )
    if fit_confidence:
        err.print(f"wrote {fit_confidence}: {json.dumps(result['confidence']['fitted']['validation'])}")
    if report:
        for path in reports.write(result, report):
            err.print(f"wrote {path}")
    if json_output:
        summaries = {name: p["summary"] for name, p in result["pipelines"].items()}
        out.print_json(json.dumps({"questions": result["questions"], "seconds": result["seconds"], **summaries}))
    else:
        out.print(_table(result))
    if previous:
        from rich.table import Table

        deltas = Table("pipeline", "metric", "before", "after", "delta", title="Compared with the earlier report")
        for name, key, before, after in reports.compare(result, previous):
            delta = f"{after - before:+.3f}" if before is not None and after is not None else ""
            deltas.add_row(name, key, _fmt(before), _fmt(after), delta)
        out.print(deltas)


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _table(result: dict) -> Table:
    from rich.table import Table

    from assistant.evaluation import report as reports

    names = list(result["pipelines"])
    table = Table("metric", *names, *(["ratio"] if len(names) == 2 else []), title=f"{result['questions']} questions")
    for key, values in reports.rows(result):
        ratio_cell = [reports.ratio(values)] if len(names) == 2 else []
        table.add_row(key, *(_fmt(v) for v in values), *ratio_cell)
    return table
