"""The judges we trained: the shipped files are the ones their cards name, and they read meaning."""

import json

import pytest
from conftest import ScriptedModel

from assistant import Assistant
from assistant.answering.citations import ClaimChecker
from assistant.disk import sha256_of
from assistant.errors import ModelError
from assistant.judges import CrossEncoder, JudgeCard, answer_judge, claim_verifier, evidence_text
from assistant.judges.cross_encoder import MODELS
from assistant.records import Chunk, Passage
from assistant.settings import Settings

UN_TITLE = "'We welcome any signs of greater international unity' against the terrorist group, says UN spokesman"
HAQ = (
    '“We welcome any signs of greater international unity against Daesh," Farhan Haq said during a daily '
    "briefing in response to a question about the recent thawing of Turkey-Russia ties."
)
SHELTER = (
    "Syria has been torn apart by a five-year conflict that has left hundreds of thousands of victims dead and "
    "millions displaced, with Turkey alone sheltering more than 2.7 million Syrians."
)
SPAIN = (
    "Spain, another NATO member, continues to keep its missiles in Turkey and is committed until the end of this year."
)


def test_every_shipped_judge_is_the_file_its_card_names() -> None:
    cards = sorted(MODELS.glob("*.json"))
    assert cards, "no judge shipped"
    for path in cards:
        card = json.loads(path.read_text())
        model = path.with_suffix(".onnx")
        assert sha256_of(model) == card["sha256"]
        assert 0 < card["threshold"] < 1 and card["max_tokens"] <= 256


def test_a_judge_file_that_does_not_match_its_hash_is_refused() -> None:
    card = JudgeCard.load("claim_verifier")
    bad = JudgeCard("claim_verifier", "0" * 64, card.max_tokens, card.threshold)
    with pytest.raises(ModelError, match="SHA-256"):
        CrossEncoder(bad).probabilities([("a", "b")])


@pytest.mark.parametrize(
    ("true", "false", "evidence"),
    [
        (  # who said it: the UN spokesman, not the US one
            "UN spokesman Farhan Haq said: 'We welcome any signs of greater international unity against Daesh.'",
            "US spokeswoman Elizabeth Trudeau said: 'We welcome any signs of greater international unity "
            "against Daesh.'",
            evidence_text([HAQ], UN_TITLE, published_at="2016-08-12"),
        ),
        (  # a number changed by one digit
            "Turkey shelters more than 2.7 million Syrians.",
            "Turkey shelters more than 3.7 million Syrians.",
            evidence_text([SHELTER], "UN welcomes Turkey-Russia pledge"),
        ),
        (  # the opposite action, in words the sentence does not use
            "Spain has kept its missiles in Turkey.",
            "Spain has withdrawn its missiles from Turkey.",
            evidence_text([SPAIN], "Turkey keen to cooperate with Russia against Islamic State forces"),
        ),
    ],
)
def test_the_verifier_puts_a_true_claim_above_its_swapped_twin(true: str, false: str, evidence: str) -> None:
    verifier = claim_verifier()
    right, wrong = verifier.probabilities([(true, evidence), (false, evidence)])
    assert right > wrong
    assert wrong < verifier.threshold


def test_the_verifier_reads_a_rewording_as_the_sentence() -> None:
    verifier = claim_verifier()
    evidence = evidence_text([SPAIN], "Turkey keen to cooperate with Russia against Islamic State forces")
    reworded = (
        "Spain, also a NATO member, still keeps its missiles in Turkey and has committed to do so until year end."
    )
    assert verifier.probability(reworded, evidence) >= verifier.threshold


def _passage(n: int, text: str, title: str) -> Passage:
    chunk = Chunk(chunk_id=f"c{n}", doc_id=f"d{n}", text=text, char_start=0, char_end=len(text))
    return Passage(chunk=chunk, title=title, published_at="2016-08-12")


def test_the_checker_turns_down_what_the_rules_alone_let_through() -> None:
    """Every word of the false claim is in the cited sentence: only the verifier sees the swap."""
    passages = [_passage(1, SHELTER, "UN welcomes Turkey-Russia pledge")]
    claim = "Turkey has been torn apart by a five-year conflict, with Syria alone sheltering more than 2.7 million. [1]"
    assert ClaimChecker(passages).check(claim).held  # the rules: every word and number is quoted
    checked = ClaimChecker(passages, verifier=claim_verifier()).check(claim)
    assert not checked.held
    assert checked.support is not None and checked.support.verdict is not None
    assert ClaimChecker(passages, verifier=claim_verifier()).check(f"{SHELTER} [1]").held


def test_the_assistant_asks_the_verifier_only_when_the_setting_says_so(sample_settings: Settings) -> None:
    question = "What did the UN say about the pledge of Turkey and Russia?"
    words = '"We welcome any signs of greater international unity against Daesh."'
    off = Assistant(sample_settings, chat_model=ScriptedModel(f"Farhan Haq said: {words} [1][2][3][4]"), rate=False)
    assert off.verifier is None and "verify_s" not in off.ask(question).timings
    on = sample_settings.model_copy(update={"claim_verifier": True})
    for speaker, held in (("Farhan Haq", True), ("Elizabeth Trudeau", False)):
        model = ScriptedModel(f"{speaker} said: {words} [1][2][3][4]")
        answer = Assistant(on, chat_model=model, rate=False).ask(question)
        assert answer.timings["verify_s"] > 0
        assert bool(answer.unsupported_sentences) is not held
        assert any(c.verified for c in answer.citations) is held


def test_the_answer_judge_puts_the_sentence_that_answers_above_its_neighbours() -> None:
    judge = answer_judge()
    title = "UN welcomes Turkey-Russia pledge"
    answers, neighbour = judge.probabilities(
        "How many Syrians does Turkey shelter?", [evidence_text([SHELTER], title), evidence_text([HAQ], title)]
    )
    assert answers > neighbour
    question = "Which NATO member still keeps its missiles in Turkey, according to the article on Turkey and Russia?"
    spain, shelter = judge.probabilities(question, [evidence_text([SPAIN]), evidence_text([SHELTER])])
    assert spain > shelter


def test_the_judge_ranks_passages_before_the_answer_and_says_what_it_read(sample_settings: Settings) -> None:
    model = ScriptedModel("Turkey shelters more than 2.7 million Syrians. [1]")
    assistant = Assistant(sample_settings, chat_model=model, rate=False)
    passages = assistant.retrieve("How many Syrians does Turkey shelter?")
    assert all(p.judged is not None and len(p.judged_sentences) == 1 for p in passages)
    assert any("2.7 million" in p.chunk.text for p in passages[:2])
    answered = assistant.ask("How many Syrians does Turkey shelter?")
    assert not answered.refused and answered.timings["judge_s"] > 0
    assert answered.signals["judge_best"] == max(p.judged or 0.0 for p in passages)
    off = sample_settings.model_copy(update={"answer_judge": False})
    unjudged = Assistant(off, chat_model=model, rate=False).retrieve("How many Syrians does Turkey shelter?")
    assert (
        all(p.judged is None for p in unjudged)
        and "judge_s"
        not in Assistant(
            off, chat_model=ScriptedModel("Turkey shelters more than 2.7 million Syrians. [1]"), rate=False
        )
        .ask("How many Syrians does Turkey shelter?")
        .timings
    )
