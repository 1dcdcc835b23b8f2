"""End to end with the real embedded LLM over the sample articles (no network, no key)."""

from __future__ import annotations

import json

import pytest
from conftest import ALEPPO, DAESH, SAMPLES
from typer.testing import CliRunner

from assistant.answering.qa import Assistant
from assistant.cli import app
from assistant.ingestion.files import load_articles
from assistant.records import Answer, Article
from assistant.settings import Settings

pytestmark = pytest.mark.llm


def assert_cites_the_state_department(answer: Answer) -> None:
    assert not answer.refused, answer.answer
    assert answer.citations, answer.answer
    articles = {a.doc_id: a for a in load_articles([SAMPLES]) if isinstance(a, Article)}
    for citation in answer.citations:  # every quote is an exact slice of its article
        assert articles[citation.doc_id].text[citation.char_start : citation.char_end] == citation.quote
    assert any("State Department" in c.quote and "Russia" in c.quote for c in answer.citations), answer.citations
    assert "Russia" in answer.answer


def test_daesh_question_is_answered_with_a_state_department_citation(
    sample_settings: Settings, local_embedder, local_llm
) -> None:
    answer = Assistant(sample_settings, embedder=local_embedder, chat_model=local_llm).ask(DAESH)
    assert_cites_the_state_department(answer)
    assert answer.models["llm"] == "local:qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def test_aleppo_question_is_refused(sample_settings: Settings, local_embedder, local_llm) -> None:
    answer = Assistant(sample_settings, embedder=local_embedder, chat_model=local_llm).ask(ALEPPO)
    assert answer.refused, answer.answer
    assert answer.citations == []


def test_cli_ask_json(sample_settings: Settings) -> None:
    result = CliRunner().invoke(app, ["ask", DAESH, "--json", "-k", "4"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"question", "answer", "refused", "citations", "retrieved", "timings", "models"}
    assert set(data["citations"][0]) == {
        "n",
        "doc_id",
        "title",
        "source",
        "published_at",
        "url",
        "chunk_id",
        "char_start",
        "char_end",
        "quote",
        "quotes",
        "support",
        "verified",
    }
    assert {"corrected_markers", "unsupported_sentences", "confidence", "low_confidence", "signals"} <= set(data)
    assert 0 < data["confidence"] < 1 and 0 <= data["signals"]["p_sufficient"] <= 1
    assert_cites_the_state_department(Answer.model_validate(data))
    assert len(data["retrieved"]) <= 4


def test_cli_ask_prints_the_answer_then_its_sources(sample_settings: Settings) -> None:
    result = CliRunner().invoke(app, ["ask", DAESH])
    assert result.exit_code == 0, result.output
    answer, _, sources = result.stdout.partition("\nSources\n")
    assert "[1]" in answer or "[2]" in answer or "[3]" in answer
    assert "onfidence" in answer.splitlines()[-1]  # "Confidence 0.83." or "Low confidence (0.41): ..."
    assert "State Department" in sources and "“" in sources


def test_the_shelter_figure_is_quoted_from_the_sentence_that_holds_it(
    sample_settings: Settings, local_embedder, local_llm
) -> None:
    answer = Assistant(sample_settings, embedder=local_embedder, chat_model=local_llm).ask(
        "How many Syrians is Turkey sheltering?"
    )
    assert "2.7 million" in answer.answer, answer.answer
    assert any("2.7 million" in q.text for c in answer.citations for q in c.quotes if c.verified), answer.citations
    assert answer.unsupported_sentences == []


def test_an_invented_claim_is_flagged_or_absent(sample_settings: Settings, local_embedder, local_llm) -> None:
    """The model once copied the system prompt's example claim; now no answer sentence may go unchecked."""
    from assistant.answering.citations import claims
    from assistant.resources import load_prompt

    answer = Assistant(sample_settings, embedder=local_embedder, chat_model=local_llm).ask(
        "Who is Turkey's foreign minister?"
    )
    template = " ".join(load_prompt(name).template for name in ("system", "question", "source"))
    for claim in claims(answer.answer):
        assert claim.text.rstrip(".") not in template  # nothing copied from the prompt templates
        assert claim.text in answer.unsupported_sentences or any(
            c.verified for c in answer.citations if c.n in claim.cites
        ), (claim, answer)
    if not answer.refused:
        assert "Cavusoglu" in answer.answer, answer.answer


def test_the_models_probe_rates_a_question_the_articles_answer_above_one_they_do_not(
    sample_settings: Settings, local_embedder, local_llm
) -> None:
    assistant = Assistant(sample_settings, embedder=local_embedder, chat_model=local_llm)
    answered = assistant.ask("Where did the new Turkey-Russia committees first meet?")
    unanswerable = assistant.ask("What did Turkey say about the price of Russian gas?")  # on topic, not in them
    assert answered.signals["p_sufficient"] > unanswerable.signals["p_sufficient"] + 0.2, (answered, unanswerable)
    assert not answered.refused and answered.confidence is not None, answered.answer
    assert "Moscow" in answered.answer


def test_the_probe_leaves_the_answer_as_it_would_be_without_it(
    sample_settings: Settings, local_embedder, local_llm
) -> None:
    """The answer reuses the probe's processing of the sources and question, and is the one made without it."""
    question = "How many Syrians is Turkey sheltering?"
    probed = Assistant(sample_settings, embedder=local_embedder, chat_model=local_llm).ask(question)
    local_llm._llama.reset()  # nothing kept from the probed run
    plain = Assistant(
        sample_settings.model_copy(update={"confidence": False}), embedder=local_embedder, chat_model=local_llm
    ).ask(question)
    assert probed.answer == plain.answer and "p_sufficient" in probed.signals and plain.signals == {}
    assert {"first_logprob", "min_logprob", "max_entropy"} <= probed.signals.keys()


def test_the_answers_token_probabilities_are_read_as_it_is_written_and_change_nothing(local_llm) -> None:
    """Read as each token is chosen, they leave the answer as it is; read again in one pass over the
    answer's tokens (a cached reply), they come out the same."""
    messages = [
        {"role": "system", "content": "You answer in one short sentence."},
        {"role": "user", "content": "Which city is the capital of Turkey?"},
    ]
    streamed = "".join(local_llm.stream(messages, 24))
    live = local_llm.token_stats()
    plain = local_llm._llama.create_chat_completion(messages=messages, max_tokens=24, temperature=0.0)
    assert streamed == plain["choices"][0]["message"]["content"] and "Ankara" in streamed
    assert live is not None and live["min_logprob"] <= live["first_logprob"] <= 0 < live["max_entropy"]
    again = local_llm.reread_token_stats(messages, streamed)
    assert again is not None
    for name, value in live.items():
        assert abs(again[name] - value) < 0.05 * max(1.0, abs(value)), (name, live, again)
