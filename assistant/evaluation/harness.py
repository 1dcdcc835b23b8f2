"""`evaluate`: questions file + corpus -> a report of ours (and optionally the baseline)."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.backends.chat import ChatModel, make_chat_model
from assistant.evaluation.judge import Judge
from assistant.evaluation.pipelines import CachedChatModel, LangChainBaseline, OurPipeline, Pipeline
from assistant.evaluation.questions import Question, load_questions
from assistant.evaluation.runner import run, summarise
from assistant.records import Progress
from assistant.settings import Settings


def corpus_workspace(settings: Settings, corpus: Path) -> Path:
    """A throw-away folder per corpus and chunking, reused while it is up to date."""
    key = f"{corpus.resolve()}|{settings.chunk_size}|{settings.chunk_overlap}|{settings.embeddings}"
    return settings.cache_dir / "eval" / hashlib.sha1(key.encode()).hexdigest()[:12]


def evaluate(
    questions_file: Path,
    settings: Settings,
    corpus: Path | None = None,
    retrieval_only: bool = False,
    limit: int | None = None,
    baseline: bool = False,
    progress: Progress | None = None,
    judge: bool = False,
    without_gold: bool = False,
    fit_confidence: Path | None = None,
    exclude: Path | None = None,
) -> dict[str, Any]:
    """Run the questions through our pipeline (and the baseline); `judge` has the LLM grade answers too.

    `without_gold` answers each question without its gold articles (their chunks are
    dropped from what it retrieves), so the articles left are on its topic but lack
    its answer: the share refused is `refusal_without_evidence`.

    `fit_confidence` answers every question with and without its gold articles, reading
    the confidence signals without acting on them, fits the confidence model on those
    answers and writes it there (report: its cross-validated AUROC and each signal's).
    `exclude` leaves out the questions of another file (those a model was fitted on).
    """
    if judge and retrieval_only:
        from assistant.errors import InputError

        raise InputError("--judge grades answers: it cannot go with --retrieval-only")
    started = time.perf_counter()
    notify = progress or (lambda stage, count: None)
    questions = load_questions(questions_file)
    if exclude:  # the questions a model was fitted on: a check must not see them
        fitted_on = {q.id for q in load_questions(exclude)}
        questions = [q for q in questions if q.id not in fitted_on]
    questions = questions[:limit] if limit else questions
    workspace = corpus_workspace(settings, corpus) if corpus else None
    if corpus and workspace:
        from assistant.ingestion.indexer import build_index

        settings = settings.model_copy(update={"index_dir": workspace / "index"})
        build_index([corpus], settings)

    chat_model: ChatModel | None = None
    if not retrieval_only:
        chat_model = CachedChatModel(make_chat_model(settings, long_job=True), settings.cache_dir / "llm-cache")
    pipelines: list[Pipeline] = [OurPipeline(settings, chat_model, rate=fit_confidence is None)]
    if baseline:
        if corpus is None or workspace is None:
            from assistant.errors import InputError

            raise InputError("--baseline needs --corpus (the baseline indexes the corpus its own way)")
        pipelines.append(LangChainBaseline(settings, corpus, workspace / "baseline-chroma", chat_model))

    report: dict[str, Any] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "questions_file": str(questions_file),
        "questions": len(questions),
        "corpus": str(corpus) if corpus else None,
        "retrieval_only": retrieval_only,
        "judge": judge,
        "without_gold": without_gold,
        "excluded": str(exclude) if exclude else None,
        "settings": settings.masked(),
        "pipelines": {},
    }
    if fit_confidence:
        return _fit(report, pipelines[0], questions, fit_confidence, notify, started, limit)
    notify("total", len(questions) * len(pipelines))
    grader = Judge(chat_model) if judge and chat_model else None
    for pipeline in pipelines:
        records = run(
            pipeline,
            questions,
            retrieval_only,
            on_done=lambda: notify("done", 1),
            judge=grader,
            without_gold=without_gold,
        )
        report["pipelines"][pipeline.name] = {
            "chunk_size": pipeline.chunk_size,
            "summary": summarise(records),
            "records": records,
        }
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _fit(
    report: dict[str, Any],
    pipeline: Pipeline,
    questions: list[Question],
    target: Path,
    notify: Progress,
    started: float,
    limit: int | None = None,
) -> dict[str, Any]:
    from assistant.confidence.model import fit, labelled, validate

    notify("total", 2 * len(questions))
    records = []
    for without_gold in (False, True):
        records += run(pipeline, questions, on_done=lambda: notify("done", 1), without_gold=without_gold)
    fitted = {
        "date": datetime.now(UTC).date().isoformat(),
        "questions": str(report["questions_file"]),
        "corpus": report["corpus"],
        "command": f"assistant eval {report['questions_file']} --corpus {report['corpus']}"
        + (f" --limit {limit}" if limit else "")
        + f" --fit-confidence {target}",
    }
    validation, cross_validated = validate(records)
    model = fit(records, fitted, validation)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(model.to_json(), indent=1) + "\n")
    report["pipelines"][pipeline.name] = {
        "chunk_size": pipeline.chunk_size,
        "summary": summarise(records),
        "records": records,
    }
    for record, score in zip(labelled(records), cross_validated, strict=True):
        record["confidence_cv"] = round(score, 4)  # from a model fitted without this question's answers
    report["confidence"] = model.to_json()
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report
