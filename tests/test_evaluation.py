"""`assistant eval`: the paper's retrieval metrics, answer scoring, reports, and a real run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import ALEPPO, DAESH, SAMPLES
from typer.testing import CliRunner

from assistant.backends.bundled_model import bundled_model
from assistant.cli import app
from assistant.evaluation.metrics import (
    answer_correct,
    article_scores,
    attributed,
    is_label,
    quote_matches_fact,
    retrieval_scores,
)
from assistant.evaluation.questions import load_questions
from assistant.settings import Settings

FACT = "the State Department said it remained in close contact with its Turkish allies to fight Daesh"
FACT2 = "US State Department spokeswoman Elizabeth Trudeau said Thursday"


def test_retrieval_scores_follow_the_paper_definitions() -> None:
    facts = ["alpha beta gamma", "delta epsilon"]
    chunks = ["nothing here", "x alpha  beta\ngamma y", "nothing", "delta epsilon and alpha beta gamma"]
    scores = retrieval_scores(chunks, facts)
    assert scores["hits@1"] == 0.0 and scores["hits@2"] == 1.0 and scores["hits@10"] == 1.0
    assert scores["mrr@10"] == 0.5
    assert scores["map@10"] == pytest.approx((1 / 2 + 1 / 4) / 2)  # each fact counted once, at its first rank
    assert scores["evidence_recall@10"] == 1.0 and scores["all_evidence@10"] == 1.0
    partial = retrieval_scores(["alpha beta gamma"] + ["no"] * 12 + ["delta epsilon"], facts)
    assert partial["evidence_recall@10"] == 0.5 and partial["all_evidence@10"] == 0.0
    assert partial["hits@20"] == 1.0


def test_article_scores() -> None:
    assert article_scores(["a", "b", "a", "c"], ["a", "d"]) == {"article_hits@10": 1.0, "article_recall@10": 0.5}


@pytest.mark.parametrize(
    ("prediction", "gold", "kind", "correct"),
    [
        ("Donald Trump is implicated in both reports [1][2].", "Donald Trump", "short_text", True),
        ("The company is Uber [3].", "Uber", "short_text", True),
        ("It is Lyft [1].", "Uber", "short_text", False),
        ("Yes, both reports agree [1].", "Yes", "yes_no", True),
        ("No. The reports differ [2].", "no", "yes_no", True),
        ("Yes [1].", "No", "yes_no", False),
        ("The reports agree.", "Yes", "yes_no", False),
    ],
)
def test_answer_scoring(prediction: str, gold: str, kind: str, correct: bool) -> None:
    assert answer_correct(prediction, gold, kind) is correct


def test_questions_load_from_the_multihop_schema(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "q1",
                "question": "Q?",
                "answer": "Yes",
                "question_type": "comparison_query",
                "answer_kind": "yes_no",
                "answerable": True,
                "evidence": [{"doc_id": "d", "fact": "F.", "title": "t", "source": "s", "published_at": "2023-01-01"}],
                "gold_doc_ids": ["d"],
            }
        )
        + "\n"
    )
    (question,) = load_questions(path)
    assert question.kind == "yes_no" and question.evidence[0].fact == "F."


def test_questions_load_from_the_upstream_multihop_rag_file(tmp_path: Path) -> None:
    """MultiHop-RAG.json as the dataset ships it: one array, `query`, `evidence_list`, no ids."""
    upstream = [
        {
            "query": "Who is implicated, according to Fortune and The Age?",
            "answer": "Donald Trump",
            "question_type": "inference_query",
            "evidence_list": [{"title": "T", "source": "Fortune", "fact": "No apartment has sold for that."}],
        },
        {"query": "What did a ZDNet report say?", "answer": "Insufficient information.", "question_type": "null_query"},
    ]
    path = tmp_path / "MultiHop-RAG.json"
    path.write_text(json.dumps(upstream))
    first, second = load_questions(path)
    assert (first.id, first.question, first.kind, first.evidence[0].fact) == (
        "q0001",
        upstream[0]["query"],
        "short_text",
        "No apartment has sold for that.",
    )
    assert (second.id, second.answerable, second.kind) == ("q0002", False, "insufficient_information")


def test_quote_metrics() -> None:
    fact = "No apartment in New York City has ever sold for close to that amount, James said."
    assert quote_matches_fact("James said no apartment in New York City has ever sold for close to that.", fact)
    assert not quote_matches_fact("The prosecution argues that was to mask a drop in value.", fact)
    assert attributed("Donald Trump", ["The judge ruled that Donald Trump defrauded banks."])
    assert not attributed("Donald Trump", ["The former president defrauded banks."])
    assert is_label("Yes") and is_label("Inconsistent.") and not is_label("Donald Trump")


def test_the_judge_reads_its_verdict_and_hides_citation_markers() -> None:
    from conftest import ScriptedModel

    from assistant.evaluation.judge import Judge

    model = ScriptedModel("Same.", "different", "It depends")
    judge = Judge(model)
    assert judge("Who?", "FTX", "FTX [1], per [2, 3].") is True
    assert "FTX , per ." in model.prompts[0][0]["content"] and "[1]" not in model.prompts[0][0]["content"]
    assert judge("Who?", "FTX", "Alameda [1].") is False
    assert judge("Who?", "FTX", "Maybe FTX.") is None


JUDGED = [  # (question, gold, answer, verdict): plain cases a judge must get right
    ("Which exchange did Sam Bankman-Fried found?", "FTX", "Sam Bankman-Fried founded FTX in 2019 [1].", True),
    ("Which exchange did Sam Bankman-Fried found?", "FTX", "He founded the trading firm Alameda Research [2].", False),
    ("Did both articles report that sales rose?", "Yes", "Yes: both report higher sales [1][3].", True),
    ("Did both articles report that sales rose?", "Yes", "No, the second article reports a fall in sales [2].", False),
    (
        "Which team lost its first four-day game since 2014?",
        "Australia's cricket team",
        "The team is Australia [1].",
        True,
    ),
    ("Was the portrayal inconsistent?", "no", "Yes, there was inconsistency in the portrayal [1].", False),
]


@pytest.mark.llm
def test_the_judge_with_the_real_model(local_llm) -> None:
    from assistant.evaluation.judge import Judge

    judge = Judge(local_llm)
    assert [judge(q, gold, answer) for q, gold, answer, _ in JUDGED] == [verdict for *_, verdict in JUDGED]


@pytest.fixture
def sample_questions(tmp_path: Path) -> Path:
    path = tmp_path / "questions.yaml"
    path.write_text(
        yaml.safe_dump(
            [
                {
                    "id": "daesh",
                    "question": DAESH,
                    "answer": "Russia",
                    "question_type": "inference_query",
                    "evidence": [
                        {"doc_id": "articles/un-welcomes-turkey-russia-pledge.txt", "fact": FACT},
                        {"doc_id": "articles/turkey-keen-to-cooperate-with-russia.txt", "fact": FACT2},
                    ],
                    "gold_doc_ids": [
                        "articles/un-welcomes-turkey-russia-pledge.txt",
                        "articles/turkey-keen-to-cooperate-with-russia.txt",
                    ],
                },
                {
                    "id": "aleppo",
                    "question": ALEPPO,
                    "answer": "Insufficient information.",
                    "answerable": False,
                    "question_type": "null_query",
                },
            ]
        )
    )
    return path


def test_retrieval_only_eval_with_a_corpus_writes_reports(sample_questions: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    report = tmp_path / "out" / "report.json"
    args = ["eval", str(sample_questions), "--corpus", str(SAMPLES), "--retrieval-only", "--baseline"]
    result = CliRunner().invoke(app, [*args, "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert re.search(r"^eval: (\d+)/\1 questions", result.stderr, re.M)  # progress as lines: stderr is no terminal
    data = json.loads(report.read_text())
    ours = data["pipelines"]["assistant"]
    assert ours["summary"]["overall"]["hits@10"] == 1.0
    assert ours["summary"]["overall"]["evidence_recall@10"] == 1.0
    assert set(data["pipelines"]) == {"assistant", "langchain-baseline"}
    assert report.with_suffix(".png").stat().st_size > 10_000
    assert "| hits@10 | 1.000 |" in report.with_suffix(".md").read_text()
    again = CliRunner().invoke(app, [*args, "--compare", str(report)])
    assert again.exit_code == 0 and "Compared with the earlier report" in again.stdout
    judged = CliRunner().invoke(app, [*args, "--judge"])
    assert judged.exit_code == 1 and "--judge grades answers" in judged.stderr and "Traceback" not in judged.output


@pytest.mark.llm
def test_answer_eval_with_the_real_model(sample_questions: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", str(bundled_model(Settings().cache_dir)))  # before moving the cache
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    args = ["eval", str(sample_questions), "--corpus", str(SAMPLES), "--json", "--judge"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    overall = json.loads(result.stdout)["assistant"]["overall"]
    assert overall["accuracy_answerable"] == 1.0 and overall["refusal_rate_unanswerable"] == 1.0
    assert overall["judge_accuracy_answerable"] == 1.0 and overall["judge_agreement_with_match"] == 1.0
    assert overall["citation_validity"] == 1.0 and overall["answers_with_citation"] == 1.0
    assert overall["citation_precision"] == 1.0 and overall["mean_prompt_tokens"] > 100
    assert overall["cached_answers"] == 0
    assert overall["quote_recall"] > 0 and overall["quote_precision"] > 0 and overall["unsupported_rate"] is not None
    rerun = json.loads(CliRunner().invoke(app, args).stdout)["assistant"]["overall"]
    assert rerun["cached_answers"] == 2 and rerun["accuracy_answerable"] == 1.0


def test_without_gold_articles_the_question_is_refused(sample_questions: Path, tmp_path: Path, monkeypatch) -> None:
    """Both sample articles are the Daesh question's gold ones: without them nothing is left to answer from."""
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(
        app, ["eval", str(sample_questions), "--corpus", str(SAMPLES), "--json", "--without-gold"]
    )
    assert result.exit_code == 0, result.output
    overall = json.loads(result.stdout)["assistant"]["overall"]
    assert overall["refusal_without_evidence"] == 1.0 and overall["accuracy_answerable"] == 0.0
