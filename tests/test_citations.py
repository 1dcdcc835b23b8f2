"""Citation markers: parsing, dropping invalid ones (also while streaming), quoting, refusals."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.answering.checked_stream import REFUSAL, CheckedStream
from assistant.answering.citations import ClaimChecker, claims, is_refusal
from assistant.answering.markers import drop_invalid_markers, parse_markers
from assistant.records import Chunk, Citation, Passage


def test_parse_markers() -> None:
    assert parse_markers("A [1]. B [2, 3] and [Source 4]; again [1]. Not [Islamic State] or [x].") == [1, 2, 3, 4]


def test_invalid_markers_are_removed() -> None:
    text, removed = drop_invalid_markers("Russia was welcomed [2][7]. It was said [9]. Both [1, 9].", {1, 2})
    assert text == "Russia was welcomed [2]. It was said. Both [1]."
    assert removed == [7, 9, 9]


def test_claims_take_markers_placed_after_the_full_stop() -> None:
    result = claims("The UN welcomed the pledge. [2] Aleppo is besieged [3]. No citation here at all.")
    assert [(c.text, c.cites) for c in result] == [
        ("The UN welcomed the pledge.", (2,)),
        ("Aleppo is besieged.", (3,)),
        ("No citation here at all.", ()),
    ]


def passage(text: str, start: int, evidence: list[tuple[int, int]]) -> Passage:
    chunk = Chunk(chunk_id=f"c{start}", doc_id="doc", text=text, char_start=start, char_end=start + len(text))
    return Passage(chunk=chunk, title="T", source="S", evidence=evidence)


def test_a_citation_quotes_the_best_matching_evidence_sentence_with_article_offsets() -> None:
    text = "Turkey opened its airbase. The US would welcome Russia's interest in fighting the group. Spain stays."
    spans = [(0, 26), (27, 88), (89, 101)]
    citations = streamed_citations("The US said it would welcome Russia's interest [1].", [passage(text, 500, spans)])
    (citation,) = citations
    assert citation.quote == "The US would welcome Russia's interest in fighting the group."
    assert (citation.char_start, citation.char_end) == (527, 588)
    assert citation.n == 1 and citation.chunk_id == "c500"


@given(st.text(max_size=300), st.sets(st.integers(0, 20), max_size=5))
def test_marker_handling_never_fails_and_leaves_only_valid_markers(text: str, valid: set[int]) -> None:
    cleaned, _ = drop_invalid_markers(text, valid)
    assert set(parse_markers(cleaned)) <= valid
    claims(cleaned)


def test_refusals_are_recognised() -> None:
    assert is_refusal("I don't know based on these articles.")
    assert is_refusal("The sources do not mention China's position [1].")
    assert is_refusal("China did not say anything about the siege of Aleppo. [1]")
    assert is_refusal("China's position is not mentioned in the articles.")
    assert not is_refusal("The US said it would welcome Russia's interest [1].")
    assert not is_refusal("The minister said the aid was not provided on time [2].")


def passages_of(*texts: str) -> list[Passage]:
    """One passage per text, every sentence of it shown to the model."""
    from assistant.text import sentence_spans

    return [passage(text, 1000 * n, sentence_spans(text)) for n, text in enumerate(texts)]


def stream(pieces: list[str], passages: list[Passage]) -> tuple[str, str, list[int], bool, list[str]]:
    shown: list[str] = []
    editor = CheckedStream(passages, shown.append)
    snapshots = []
    for piece in pieces:
        editor.feed(piece)
        snapshots.append("".join(shown))
    text, removed = editor.finish()
    return "".join(shown), text, removed, bool(editor.refused), snapshots


US = "The US said it would welcome Russia's interest in the fight against the group."
UN = "The UN welcomed the pledge by Turkey and Russia."


def test_streaming_drops_invalid_markers_before_they_are_shown() -> None:
    pieces = [
        "The US ",
        "said it would welcome Russia's interest in the fight against the group ",
        "[",
        "7",
        "] and ",
        "the UN welcomed the pledge [",
        "1",
        "].",
        " The UN welcomed",
        " the pledge [2].",
    ]
    shown, text, removed, refused, _ = stream(pieces, passages_of(US + " " + UN, UN))
    assert shown == text
    assert "[7]" not in shown and "[1]" in shown and "[2]" in shown
    assert removed == [7] and not refused


def test_streaming_shows_a_corrected_marker_and_never_takes_text_back() -> None:
    pieces = [
        "The UN welcomed the pledge by Turkey and Russia ",
        "[1",
        "]. The US said it",
        " would welcome ",
        "Russia's interest in the fight against the group [2].",
    ]
    shown, text, _, _, snapshots = stream(pieces, passages_of(US, UN))
    assert (
        text == "The UN welcomed the pledge by Turkey and Russia [2]. The US said it would welcome "
        "Russia's interest in the fight against the group [1]."
    )
    assert shown == text
    assert all(later.startswith(earlier) for earlier, later in zip(snapshots, snapshots[1:], strict=False))
    assert "[1]" not in snapshots[1]  # the marker waits for its sentence to end


def test_streaming_marks_a_claim_no_source_holds() -> None:
    pieces = ["The minister said talks would resume in May [1].", " The UN welcomed the pledge by Turkey [2]."]
    shown, text, _, _, _ = stream(pieces, passages_of(US, UN))
    assert text == "The minister said talks would resume in May [1]. The UN welcomed the pledge by Turkey [2]."
    assert (
        shown
        == "The minister said talks would resume in May [1] (unverified). The UN welcomed the pledge by Turkey [2]."
    )


def test_streaming_replaces_a_refusal_with_the_standard_sentence() -> None:
    shown, _, _, refused, _ = stream(["I don't", " know based on", " these articles."], passages_of(US))
    assert refused and shown == REFUSAL


@settings(deadline=None)  # the first example also loads the sentence splitter
@given(
    article=st.text(min_size=1, max_size=2000),
    answer=st.lists(st.one_of(st.text(max_size=40), st.integers(0, 6).map(lambda n: f" [{n}]")), max_size=12),
    size=st.integers(50, 600),
)
def test_any_answer_over_any_article_quotes_exact_article_slices(article: str, answer: list[str], size: int) -> None:
    """Whatever the article and whatever markers the model writes: no exception, and every
    citation's offsets slice the article back to its quote."""
    from assistant.ingestion.chunking import chunk_article
    from assistant.records import Article
    from assistant.text import sentence_spans

    chunks = chunk_article(Article(doc_id="doc", text=article), size, size // 5)
    passages = [
        Passage(chunk=chunk, title="T", source="S", evidence=sentence_spans(chunk.text)[:3]) for chunk in chunks[:6]
    ]
    text, _ = drop_invalid_markers("".join(answer), set(range(1, len(passages) + 1)))
    for citation in streamed_citations(text, passages):
        assert article[citation.char_start : citation.char_end] == citation.quote
        assert 1 <= citation.n <= len(passages)


INCIRLIK = (
    "Turkey, after much prodding, opened its southern Incirlik airbase, near the border with Syria, for the US-led "
    "coalition against Islamic State and has announced attacks against the group in Syria. The Incirlik airbase was "
    "used in the July 15 coup attempt by rogue soldiers, prompting a brief closure and the arrest of the base "
    "commander. It was reopened to US flights shortly afterward, but Turkey has scaled down its own involvement in "
    "recent weeks."
)


def test_sentences_without_a_marker_rest_on_the_next_marker_and_are_quoted_from_its_passage() -> None:
    """Three sentences copied from a passage and one [1] at the end: each is quoted (issue 27's third case)."""
    answer = (
        "Turkey opened its southern Incirlik airbase for the US-led coalition against Islamic State. "
        "The Incirlik airbase was used in the July 15 coup attempt by rogue soldiers. "
        "It was reopened to US flights shortly afterward [1]. It was a long day for everyone."
    )
    editor = CheckedStream(passages_of(INCIRLIK, UN), lambda text: None)
    for word in answer.split(" "):
        editor.feed(word + " ")
    editor.finish()
    (citation,) = editor.checker.citations(editor.checked)
    quoted = " ".join(q.text for q in citation.quotes)
    assert citation.n == 1 and citation.verified and "July 15 coup attempt" in quoted and "opened its" in quoted
    assert [item.claim.text for item in editor.checked if item.uncited] == ["It was a long day for everyone."]

    wrong = "The Incirlik airbase was closed for good in 2019. It was reopened to US flights shortly afterward [1]."
    editor = CheckedStream(passages_of(INCIRLIK, UN), lambda text: None)
    editor.feed(wrong)
    editor.finish()
    assert [item.claim.text for item in editor.checked if item.unsupported] == [
        "The Incirlik airbase was closed for good in 2019."
    ]
    assert not editor.checker.citations(editor.checked)[0].verified  # the marker covers a sentence it does not hold


def test_a_passage_kept_as_a_second_source_is_not_verified_unless_its_quote_holds_the_claim() -> None:
    committees = (
        "After Erdogan and Putin met, the two countries announced new committees to discuss the Syrian crisis, "
        "which were to meet for the first time in Moscow on Thursday."
    )
    flew = "This week, Erdogan met Putin in Moscow to reset relations."  # holds part of the claim, not all
    checker = ClaimChecker(passages_of(committees, flew), "Where did the new committees first meet?")
    checked = checker.check("The new committees first met in Moscow on Thursday [1][2].")
    assert checked.held and checked.claim.cites == (1, 2)  # the second keeps its marker, as a partial source
    assert {c.n: c.verified for c in checker.citations([checked])} == {1: True, 2: False}


def streamed_citations(answer: str, passages: list[Passage]) -> list[Citation]:
    """The citations of `answer` as `ask` makes them: fed to the checked stream a few characters at a time."""
    editor = CheckedStream(passages, lambda text: None)
    for start in range(0, len(answer), 7):
        editor.feed(answer[start : start + 7])
    editor.finish()
    return editor.checker.citations(editor.checked)
