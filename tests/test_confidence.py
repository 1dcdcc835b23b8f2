"""The confidence model and where it acts: fitted coefficients, a backend without probabilities, refusing before
a word is streamed; a scripted chat model (our own boundary), the real index and embedder. The real model's probe
is tested in test_end_to_end.py."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DAESH, ScriptedModel

from assistant.answering.qa import REFUSAL, Assistant
from assistant.backends.chat import Messages
from assistant.confidence.model import BEFORE, Logistic, auroc, fit, load_model
from assistant.errors import ConfigError
from assistant.settings import Settings

CLAIM = "The US would welcome Russia's interest in fighting the group [1]."


class ProbedModel(ScriptedModel):
    """A scripted model that also answers the Yes/No probes, with a fixed P(Yes)."""

    def __init__(self, p_yes: float, *replies: str) -> None:
        super().__init__(*replies)
        self.p_yes = p_yes
        self.probes: list[Messages] = []
        self.calls: list[str] = []

    def yes_probability(self, messages: Messages) -> float | None:
        self.probes.append(messages)
        self.calls.append("probe")
        return self.p_yes

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        self.calls.append("answer")
        yield from super().stream(messages, max_tokens)


def test_the_fit_ranks_answers_by_their_signals_and_keeps_false_refusals_under_five_percent() -> None:
    chance = random.Random(3)
    records = []
    for i in range(400):
        correct = chance.random() < 0.6
        signals = {"p_sufficient": chance.gauss(0.7 if correct else 0.4, 0.15), "top_similarity": chance.random()}
        signals |= {"names_held": 1.0, "held_share": chance.random()}
        records.append({"id": str(i), "signals": signals, "correct": correct, "without_gold": i % 2 == 1})
    model = fit(records, {"command": "test"})
    assert model.before.coef[BEFORE.index("p_sufficient")] > 0
    scores = [model.after.score(r["signals"]) for r in records]
    assert auroc(scores, [r["correct"] for r in records]) > 0.8
    right = [r for r in records if r["correct"] and not r["without_gold"]]
    refused = [r for r in right if model.before.score(r["signals"]) < model.refuse_below]
    assert 0 < len(refused) <= 0.05 * len(right)
    assert model.refuse_below <= model.doubt_below
    assert load_model_roundtrip(model.to_json(), Path(__file__).parent) is None


def load_model_roundtrip(data: dict, folder: Path) -> None:
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as temp:
        path = Path(temp) / "model.json"
        path.write_text(json.dumps(data))
        loaded = load_model(path)
    assert loaded.to_json() == data


def test_the_shipped_model_loads_and_a_missing_one_is_a_clear_error(tmp_path: Path) -> None:
    shipped = load_model()
    assert shipped.before.features == BEFORE and shipped.fitted["command"].startswith("assistant eval")
    assert 0 <= shipped.refuse_below <= shipped.doubt_below < 1  # 0: the fit did not earn a threshold
    with pytest.raises(ConfigError, match="no confidence model at .*--fit-confidence"):
        load_model(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ConfigError, match="unreadable confidence model"):
        load_model(tmp_path / "broken.json")


def test_a_missing_signal_counts_as_its_mean() -> None:
    model = Logistic(("a", "b"), (0.5, 0.5), (0.1, 0.1), (2.0, 1.0), 0.0)
    assert model.score({"a": 0.5, "b": 0.5}) == model.score({"b": 0.5}) == 0.5
    assert model.score({"a": 0.7}) > model.score({"a": 0.3})


def test_a_backend_without_probabilities_is_rated_from_the_rest(sample_settings: Settings, local_embedder) -> None:
    answer = Assistant(sample_settings, embedder=local_embedder, chat_model=ScriptedModel(CLAIM)).ask(DAESH)
    assert not answer.refused and answer.confidence is not None
    assert "p_sufficient" not in answer.signals
    assert {"top_similarity", "names_held", "held_share"} <= answer.signals.keys()


def test_a_refusal_for_low_confidence_is_decided_before_any_text(sample_settings: Settings, local_embedder) -> None:
    shown: list[str] = []
    model = ProbedModel(0.0, CLAIM)
    settings = sample_settings.model_copy(update={"refuse_below": 0.99})
    answer = Assistant(settings, embedder=local_embedder, chat_model=model).ask(DAESH, on_text=shown.append)
    assert answer.refused and model.prompts == []  # the answer was never asked for
    assert len(shown) == 1 and shown[0] == answer.answer and answer.answer.startswith(REFUSAL)
    assert "none of them appears to state the answer" in answer.answer
    assert answer.confidence is not None and answer.confidence < 0.99 and answer.signals["p_sufficient"] == 0.0
    assert "too low to answer" in answer.confidence_note()
    (probe,) = model.probes
    assert probe[-1]["content"].endswith("Do the sources above state the answer to this question? Reply Yes or No.")
    assert DAESH in probe[-1]["content"]


def test_a_confident_answer_and_a_doubtful_one(sample_settings: Settings, local_embedder) -> None:
    model = ProbedModel(1.0, CLAIM)
    sure = Assistant(sample_settings, embedder=local_embedder, chat_model=model).ask(DAESH)
    assert model.calls == ["probe", "answer"]  # the sufficiency probe comes before the answer
    assert not sure.refused and not sure.low_confidence and sure.confidence_note().startswith("Confidence")
    settings = sample_settings.model_copy(update={"refuse_below": 0.0, "doubt_below": 1.0})
    unsure = Assistant(settings, embedder=local_embedder, chat_model=ProbedModel(0.0, CLAIM)).ask(DAESH)
    assert not unsure.refused and unsure.low_confidence and unsure.confidence < sure.confidence
    assert unsure.confidence_note().startswith("Low confidence")
    assert unsure.signals["p_sufficient"] == 0.0


class TokenModel(ProbedModel):
    """A scripted model that also tells its answer's token probabilities, as the embedded one does."""

    def __init__(self, stats: dict[str, float], *replies: str) -> None:
        super().__init__(0.8, *replies)
        self.stats = stats

    def token_stats(self) -> dict[str, float]:
        return self.stats


def test_the_answers_own_token_probabilities_move_its_confidence(sample_settings: Settings, local_embedder) -> None:
    """With the shipped model: an answer whose tokens the model was sure of scores above one it hesitated on."""
    sure = {"first_logprob": -0.05, "min_logprob": -0.4, "max_entropy": 1.2}
    hesitant = {"first_logprob": -1.8, "min_logprob": -2.5, "max_entropy": 4.0}
    answers = [
        Assistant(sample_settings, embedder=local_embedder, chat_model=TokenModel(stats, CLAIM)).ask(DAESH)
        for stats in (sure, hesitant)
    ]
    assert sure.items() <= answers[0].signals.items()
    assert answers[0].confidence > answers[1].confidence
    assert not answers[0].low_confidence and answers[1].low_confidence  # the shipped doubt threshold acts
    assert load_model().doubt_below > 0


def test_confidence_can_be_turned_off(sample_settings: Settings, local_embedder) -> None:
    settings = sample_settings.model_copy(update={"confidence": False})
    model = ProbedModel(0.0, CLAIM)
    answer = Assistant(settings, embedder=local_embedder, chat_model=model).ask(DAESH)
    assert answer.confidence is None and answer.signals == {} and model.calls == ["answer"]


def test_a_model_that_ranks_no_better_than_chance_refuses_and_doubts_nothing() -> None:
    chance = random.Random(5)
    names = ("p_sufficient", "top_similarity", "names_held", "held_share")
    records = [
        {"id": str(i), "signals": {n: chance.random() for n in names}, "correct": chance.random() < 0.5}
        for i in range(300)
    ]
    model = fit(records, {})
    assert model.fitted["validation"]["auroc_before_cross_validated"] < 0.6
    assert model.refuse_below == model.doubt_below == 0.0
