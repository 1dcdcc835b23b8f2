"""The support scorer on real sentences of the sample articles: what holds a claim, and what must not."""

from __future__ import annotations

from assistant.answering.claim_support import Candidate, Context, numbers, support, weighted_words

SHELTER = (
    "Syria has been torn apart by a five-year conflict that has left hundreds of thousands of victims dead and "
    "millions displaced, with Turkey alone sheltering more than 2.7 million Syrians."
)
KALIN = (
    "Erdogan spokesman Ibrahim Kalin said Turkey and Russia - who are backing opposing sides in Syria - set up "
    "committees to discuss the war torn country, with the first sessions to take place this week."
)
CAVUSOGLU = (
    "Turkish Foreign Minister Mevlut Cavusoglu said Thursday that Turkey will restart operations soon against "
    "Islamic State forces and is keen to cooperate with Russia against the extremist group."
)
JETS = (
    "After Erdogan and Putin met for the first time earlier this week since Turkish jets shot down a Russian "
    "military aircraft last November, the two countries announced new committees to discuss the Syrian crisis, "
    "which were to meet for the first time in Moscow on Thursday."
)
INCIRLIK = (
    "The Incirlik airbase was used in the July 15 coup attempt by rogue soldiers, prompting a brief closure and "
    "the arrest of the base commander."
)
PATRIOT = (
    'However, Cavusoglu was outspoken against "NATO countries, who are our allies" which removed Patriot missile '
    "batteries from Turkey last year."
)
SPAIN = (
    "Spain, another NATO member, continues to keep its missiles in Turkey and is committed until the end of this year."
)


def sentences(*texts: str) -> list[Candidate]:
    return [Candidate(n, (0, len(text)), text) for n, text in enumerate(texts, 1)]


def test_numbers_are_normalised() -> None:
    assert numbers("more than 2.7 million Syrians, 1,200 troops, on the 11th, two jets") == {
        "2.7 million",
        "1200",
        "11",
        "2",
    }
    assert numbers("Turkey was one of the first") == set()


def test_the_sentence_holding_the_number_is_chosen_and_holds() -> None:
    result = support("Turkey is sheltering more than 2.7 million Syrians.", sentences(KALIN, SHELTER))
    assert result.holds and result.passages == (2,)


def test_a_number_the_quote_lacks_is_not_held() -> None:
    result = support("Turkish jets shot down the Russian aircraft on November 11.", sentences(JETS))
    assert not result.holds and result.missing_numbers == ("11",)
    assert support("Turkish jets shot down a Russian military aircraft last November.", sentences(JETS)).holds
    assert not support("Turkey is sheltering more than 3.5 million Syrians.", sentences(SHELTER)).holds


def test_an_invented_claim_sharing_a_few_words_is_not_held() -> None:
    result = support("The minister said talks would resume in May.", sentences(CAVUSOGLU, KALIN, JETS))
    assert not result.holds and result.score < 0.5


def test_names_weigh_more_than_common_words() -> None:
    held = support("Spain keeps its missiles in Turkey.", sentences(SPAIN))
    wrong_name = support("Germany keeps its missiles in Turkey.", sentences(SPAIN))
    assert held.holds and not wrong_name.holds


def test_a_claim_joining_two_facts_takes_one_sentence_for_each() -> None:
    claim = "NATO allies removed Patriot missile batteries from Turkey, while Spain keeps its missiles in Turkey."
    result = support(claim, sentences(PATRIOT, SPAIN, INCIRLIK))
    assert result.holds and result.passages == (1, 2)
    assert not support(claim, sentences(PATRIOT)).holds


def test_the_outlet_and_title_of_the_article_count_without_being_quoted() -> None:
    claim = "According to The Verge, Spain keeps its missiles in Turkey."
    assert support(claim, sentences(SPAIN), context={1: Context("NATO update", "The Verge")}).holds
    assert not support("Reuters said Spain keeps its missiles in Turkey and Italy.", sentences(SPAIN)).holds
    title = Context("Spain stays: NATO ally commits until the end of the year", "The Verge")
    assert support("Spain, a NATO ally, commits until the end of the year.", sentences(JETS), {1: title}).holds


def test_a_name_or_number_counts_only_from_a_sentence_that_says_the_words_around_it() -> None:
    """The words of one sentence (or title) and a name from another do not add up to a verified claim."""
    title = Context(
        "'We welcome any signs of greater international unity' against the terrorist group, says UN spokesman"
    )
    kalin = "Erdogan spokesman Ibrahim Kalin said Turkey and Russia set up committees to discuss the war torn country."
    claim = 'Ibrahim Kalin said "We welcome any signs of greater international unity" against the terrorist group.'
    assert not support(claim, sentences(kalin), {1: title}).holds
    assert support(claim.replace("Ibrahim Kalin", "A UN spokesman"), sentences(kalin), {1: title}).holds
    assert not support("Spain keeps 11 missiles in Turkey.", sentences(SPAIN, "There were 11 of them.")).holds


def test_a_speakers_title_is_part_of_the_name_not_the_words_it_must_be_quoted_with() -> None:
    """ "Turkish President Recep Tayyip Erdogan said X" needs X beside Erdogan, not his title beside it elsewhere."""
    claim = CAVUSOGLU.replace("Foreign Minister Mevlut Cavusoglu", "President Recep Tayyip Erdogan")
    profile = "Turkish President Recep Tayyip Erdogan met Putin this week."
    assert not support(claim, sentences(CAVUSOGLU, profile)).holds
    assert support(CAVUSOGLU, sentences(CAVUSOGLU, profile)).holds


def test_a_rare_word_of_the_claim_must_be_quoted() -> None:
    """A common word may be a paraphrase; a rare one ("airbase", "hovercraft") is a fact the quote must hold."""
    assert not support(INCIRLIK.replace("airbase", "hovercraft"), sentences(INCIRLIK)).holds
    assert support(INCIRLIK.replace("brief closure", "short closure"), sentences(INCIRLIK)).holds


def test_paraphrases_that_change_the_fact_are_not_accepted() -> None:
    assert not support("Germany and the US pulled their Patriot missiles out of Turkey.", sentences(SPAIN)).holds
    assert not support("The Incirlik airbase was used in the July 16 coup attempt.", sentences(INCIRLIK)).holds


def test_a_negation_added_or_dropped_is_not_held_even_with_a_not_from_another_sentence() -> None:
    assert not support("Spain does not keep its missiles in Turkey.", sentences(SPAIN)).holds
    assert not support("Spain does not keep its missiles in Turkey.", sentences(SPAIN, "It was not clear.")).holds
    assert support(
        "Spain did not remove its missiles from Turkey.", sentences("Spain did not remove its missiles from Turkey.")
    ).holds
    assert not support(
        "Spain removed its missiles from Turkey.", sentences("Spain did not remove its missiles from Turkey.")
    ).holds


def test_the_article_date_lends_a_day_only_with_its_month_and_only_as_when_it_was_reported() -> None:
    context = {1: Context("Turkey keen to cooperate with Russia", "", "August 11 2016 2016-08-11")}
    claim = "Turkish jets shot down a Russian military aircraft on November 11."
    assert not support(claim, sentences(JETS), context=context).holds
    reported = "On August 11 it was reported that Turkish jets shot down a Russian military aircraft."
    assert support(reported, sentences(JETS), context).holds
    assert not support(
        "On August 11 Turkish jets shot down a Russian military aircraft.", sentences(JETS), context
    ).holds


def test_given_the_question_a_claim_restating_it_rests_on_the_sentence_naming_its_answer() -> None:
    question = (
        "Which official, as Erdogan spokesman Ibrahim Kalin said Turkey and Russia set up committees to discuss "
        "the war, is keen to cooperate with Russia?"
    )
    claim = (
        "The official, as Erdogan spokesman Ibrahim Kalin said Turkey and Russia set up committees to discuss "
        "the war, is Mevlut Cavusoglu."
    )
    weights = weighted_words(claim, question)
    assert weights["cavusoglu"] == 2.0 and weights["kalin"] == 1.0 and weights["committe"] == 0.5
    held = support(claim, sentences(KALIN, CAVUSOGLU, SPAIN), question=question)
    assert held.holds and {q.text for q in held.quotes} == {KALIN, CAVUSOGLU}
    assert not support(claim, sentences(KALIN, SPAIN), question=question).holds  # the answer itself is missing


def test_a_name_repeated_from_the_question_must_still_be_held() -> None:
    question = "What did Vandita say about the Incirlik airbase?"
    claim = "Vandita said the Incirlik airbase was used in the July 15 coup attempt."
    result = support(claim, sentences(INCIRLIK), question=question)
    assert not result.holds and result.missing_names == ("vandita",)
    assert support(
        "The Incirlik airbase was used in the July 15 coup attempt.", sentences(INCIRLIK), question=question
    ).holds


def test_a_speaker_named_by_the_question_must_be_the_one_who_said_the_words() -> None:
    un = Context("'We welcome any signs of greater international unity' against the terrorist group, says UN spokesman")
    question = "What did the Erdogan spokesman say?"
    claim = (
        'The Erdogan spokesman said "We welcome any signs of greater international unity" against the terrorist group.'
    )
    assert not support(claim, sentences(KALIN, JETS), {1: Context(), 2: un}, question).holds
    # a name from the question that does not speak only needs to be held: the answer is the claim's own words
    where = "Where did the new Turkey-Russia committees first meet?"
    met = "The new Turkey-Russia committees first met in Moscow on Thursday."
    turkey = Context("Turkey keen to cooperate with Russia against Islamic State forces")
    assert support(met, sentences(JETS), {1: turkey}, where).holds


def test_a_bare_yes_or_no_cannot_be_verified_by_any_quote() -> None:
    """The quote would read the same under "Yes" and "No": the checker cannot judge it, so it is not verified."""
    question = "Does Spain keep its missiles in Turkey?"
    assert not support("Yes.", sentences(SPAIN), question=question).holds
    assert not support("No.", sentences(SPAIN), question=question).holds
    assert support("Yes, Spain keeps its missiles in Turkey.", sentences(SPAIN), question=question).holds
