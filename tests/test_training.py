"""The training scripts' own rules (outside the runtime): which of the model's paraphrases may be labelled true."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "training"), str(ROOT / "bench")]

from verifier_data import faithful  # noqa: E402

SENTENCE = "Korchinski was the No. 7 overall pick in the 2022 draft, one of three first-round selections by Chicago."


def test_a_paraphrase_that_keeps_names_and_numbers_and_adds_none_is_kept() -> None:
    kept = "Chicago took Korchinski with the seventh overall pick of the 2022 draft, one of its three first-rounders."
    assert faithful(SENTENCE, kept, cosine=0.9)


def test_a_paraphrase_that_adds_a_name_or_a_number_or_drifts_is_refused() -> None:
    assert not faithful(SENTENCE, "Chicago picked Korchinski seventh in the 2022 NFL draft, one of three.", 0.9)
    assert not faithful(SENTENCE, "Korchinski was the No. 7 pick in the 2023 draft, one of three by Chicago.", 0.9)
    assert not faithful(SENTENCE, "Chicago took Korchinski with the seventh pick of the 2022 draft.", cosine=0.6)
    assert not faithful(SENTENCE, SENTENCE.replace("overall ", ""), cosine=0.99)  # a near copy


def test_a_generated_question_must_ask_about_the_sentences_own_things() -> None:
    from short_questions import well_asked

    sentence = "Ukrainian pilots are beginning their training on the jets now, months before they are deployed."
    assert well_asked("When will Ukrainian pilots start training on the jets?", sentence)
    assert not well_asked("What is the main topic of the article about?", sentence)
    assert not well_asked("What is the price of the product?", sentence)
