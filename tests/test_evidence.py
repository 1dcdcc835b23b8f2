"""Which sentences of the retrieved passages go into the prompt (real embedder)."""

from __future__ import annotations

from conftest import DAESH

from assistant.answering.evidence import excerpt, select_evidence
from assistant.records import Chunk, Passage

SHARED = "The US would welcome Russia's interest in taking the fight to Islamic State."
OTHERS = [
    "Turkey opened its Incirlik airbase to coalition jets.",
    "Russia and Turkey set up committees on Syria.",
    "The talks took place in Moscow on Thursday.",
]


def passage(n: int, sentences: list[str]) -> Passage:
    text = " ".join(sentences)
    return Passage(chunk=Chunk(chunk_id=f"c{n}", doc_id=f"d{n}", text=text, char_start=0, char_end=len(text)))


def test_a_sentence_two_passages_share_is_shown_once_and_uses_up_its_place(local_embedder) -> None:
    passages = [passage(1, [SHARED, OTHERS[0]]), passage(2, [OTHERS[1], SHARED]), passage(3, [OTHERS[2]])]
    chosen = select_evidence(DAESH, passages, local_embedder, max_sentences=3)
    shown = " ".join(excerpt(p) for p in chosen)
    assert shown.count(SHARED) == 1
    # three places: the shared sentence, its repeat, and the next best; not a fourth sentence in the repeat's place
    assert sum(len(p.evidence) for p in chosen) == 2

    everything = select_evidence(DAESH, passages, local_embedder, max_sentences=10)
    assert sum(len(p.evidence) for p in everything) == 4  # every distinct sentence, each once
