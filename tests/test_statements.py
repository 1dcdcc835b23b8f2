"""Who said what (`assistant.statements`): statements found by rules, on articles written for the test and
the sample articles, stored with the index and listed by `assistant quotes`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLES

from assistant.answering.qa import Assistant
from assistant.ingestion.indexer import build_index, merge_segments
from assistant.settings import Settings
from assistant.statements import extract
from assistant.statements.speakers import parse
from assistant.store import IndexDir

WRITTEN = """Storms ahead: 'the coast must be ready for the worst', says UN envoy

Environment Minister Jane Okafor said on Monday that the coastal defences would be finished by 2026.
"We cannot wait for the next flood," she said. "Every town on the coast needs a plan."
According to Mark Ellis, a spokesman for the Port Authority, ships will be diverted.
The council approved the budget.
"Prices will rise," said economist Laura Chen, while analyst Tom Reyes said demand would hold.
The company, Northwind Energy, said it would cut 300 jobs, and the spokesman added that talks would continue.
"""


def spoken() -> list[tuple[str, str, str | None, str]]:
    """(kind, via, person or organisation, what is attributed) of each statement of WRITTEN."""
    return [
        (
            s.kind,
            s.via,
            s.speaker.person or s.speaker.organisation or s.speaker.country,
            WRITTEN[s.content_start : s.content_end].strip(),
        )
        for s in extract(WRITTEN)
    ]


def test_each_kind_of_statement_is_found_with_its_speaker() -> None:
    found = spoken()
    assert found[0] == (
        "direct",
        "name",
        "UN",
        "'the coast must be ready for the worst'",
    )  # in the headline
    assert ("reported", "name", "Jane Okafor") == found[1][:3]
    assert found[1][3].startswith("on Monday that the coastal defences")
    assert ("direct", "pronoun", "Jane Okafor", '"We cannot wait for the next flood,"') == found[2]
    assert found[3][:3] == ("direct", "continued", "Jane Okafor")
    assert found[4][:3] == ("according_to", "name", "Mark Ellis") and found[4][3].endswith("ships will be diverted.")
    two = [f for f in found if f[2] in ("Laura Chen", "Tom Reyes")]  # two speakers in one sentence
    assert two == [
        ("direct", "name", "Laura Chen", '"Prices will rise,"'),
        ("reported", "name", "Tom Reyes", "demand would hold."),
    ]
    assert found[7][2:] == ("Northwind Energy", "it would cut 300 jobs, and the spokesman")  # set off by commas
    assert len(found) == 8  # "approved" attributes nothing; "the spokesman" fits nobody quoted before


def test_a_speaker_mention_is_read_into_person_organisation_and_country() -> None:
    trudeau = parse("US State Department spokeswoman Elizabeth Trudeau")
    assert (trudeau.person, trudeau.organisation, trudeau.country) == (
        "Elizabeth Trudeau",
        "US State Department",
        "United States",
    )
    kalin = parse("Erdogan spokesman Ibrahim Kalin")
    assert (kalin.person, kalin.organisation) == ("Ibrahim Kalin", "Erdogan")
    minister = parse("Turkish Foreign Minister Mevlut Cavusoglu")
    assert (minister.person, minister.organisation, minister.country) == ("Mevlut Cavusoglu", None, "Turkey")
    assert parse("the State Department").country == "United States"


def test_a_surname_and_a_pronoun_are_the_person_named_before() -> None:
    text = (Path(__file__).parents[1] / "examples/articles/un-welcomes-turkey-russia-pledge.txt").read_text()
    found = [(s.written, s.speaker.person) for s in extract(text)]
    assert ("Haq", "Farhan Haq") in found and ("he", "Farhan Haq") in found
    assert ("she", "Elizabeth Trudeau") in found  # the last person quoted, not Haq


INTERVIEW = """Allison Miller said she was lucky. "It escalated very quickly," she said.
Dr. Gregg Sylvester, chief health officer at CSL Seqirus, a New Jersey company, noted that cases are rising.
"A viral illness can set you up for something more serious."
The complications are often milder for those vaccinated, according to the doctor.
"It's never too late," he said.
Said Miller, "Listen to your body."
Jim Jordan showed no signs of stepping aside, insisting at a press conference: "The people want change."
First, owners should vaccinate their pets, said Dr. Jerry Klein, a vet for 35 years and a former head of MedVet.
Other states with cases include Oregon. "I'll take them," says the 42-year-old father of three.
Larson reported from Washington.
"""


def test_pronouns_descriptions_and_participles_find_the_speaker_the_article_means() -> None:
    found = [(s.written, s.speaker.person, s.via) for s in extract(INTERVIEW)]
    assert ("she", "Allison Miller", "pronoun") in found
    sylvester = next(s for s in extract(INTERVIEW) if s.speaker.person == "Gregg Sylvester")
    assert sylvester.speaker.organisation == "CSL Seqirus"  # past an apposition of an apposition
    assert ("the doctor", "Gregg Sylvester", "role") in found
    assert ("he", "Gregg Sylvester", "pronoun") in found  # "he": not Miller, whom the article calls "she"
    assert ("Miller", "Allison Miller", "name") in found  # "Said Miller, ..."
    assert ("Jim Jordan", "Jim Jordan", "name") in found  # the subject of "..., insisting: “...”"
    assert ("Dr. Jerry Klein", "Jerry Klein", "name") in found  # a long clause is no apposition
    assert ("the 42-year-old", "Jerry Klein", "role") in found  # a description: the person quoted just before
    assert not any(p in ("Other", "Larson") for _, p, _ in found)  # "states" as a noun; a byline


PROFILE = """Coach Ange Postecoglou’s side lost again. Will Smith spoke at the library, and so did Jada Pinkett Smith.
“We were poor,” said Postecoglou. “Both goals were terrible.

There’s no point in feeling sorry for ourselves.

Will said the night was special, according to the Baltimore Banner.
“It was brutal and beautiful,” he said.
Jada first revealed that they live apart. “We are healing,” she said.
The Girls Trip star continued: “There’s no divorce on paper.”
A TikTok spokeswoman denied the claims. “We strongly reject them,” she said.
Hikvision has marketed features that would, it claimed, detect faces.
Actor Sir Ian McKellen: “Like many grateful actors I am in debt to him.”
"""


def test_first_names_descriptions_and_tributes_find_the_speaker_the_article_means() -> None:
    found = [(s.written, s.speaker.person or s.speaker.organisation, s.via) for s in extract(PROFILE)]
    assert ("Postecoglou", "Ange Postecoglou", "name") in found  # named in full only as a possessive
    ourselves = PROFILE.index("There’s no point")  # first person after a quotation left open: still his
    assert any(s.start == ourselves and s.speaker.person == "Ange Postecoglou" for s in extract(PROFILE))
    assert ("Will", "Will Smith", "name") in found  # a first name only one person of the article has
    assert not any(who == "Baltimore Banner" and via != "name" for _, who, via in found)  # no one says "the X"
    assert ("he", "Will Smith", "pronoun") in found  # not the Banner: "he" is a person
    assert ("she", "Jada Pinkett Smith", "pronoun") in found  # "Jada", beside Will Smith
    assert ("The Girls Trip star", "Jada Pinkett Smith", "role") in found  # a description: the one quoted lately
    assert ("she", "TikTok", "pronoun") in found  # the spokeswoman just quoted, unnamed
    assert ("Hikvision", "Hikvision", "name") in found  # ", it claimed,": the sentence's subject
    assert ("Actor Sir Ian McKellen", "Ian McKellen", "name") in found  # a tribute introduced with a colon


FAMILY = """Lucas Goeller, now 10, needs a second liver transplant.
"He was on the brink of death," said his mother, Jessica Goeller, in an interview.
After that first transplant, her son made a "miraculous recovery," Goeller said.
"He's always filled with so much joy," his mother said.

Dr. George Mazariegos said Lucas is still at home. Kelly Preston spoke to the family last year.
"Life-saving donation is only possible through somebody else's love," she said.

Avison Young co-CEO Guy Amosi says, ""I am now doing four or five deals. Not large-scale deals.

"In the end, everything will be occupied. We are not a bubble."
THE CITY'S OFFICE TOWERS STAND EMPTY AS WAR GOES ON
He continued, "Millions of square meters are being built."
The war has slowed leasing across the centre of the country.
Property developer Miki Naimi, who is building an office park, does not sound bothered.
He underlined there were more tenants than a year ago.

"Music is incredibly broadly distributed. Everybody on earth listens to music."
Robert Kyncl, Warner Music Group
"""


def test_quotations_relatives_and_first_names_find_the_speaker_the_article_means() -> None:
    found = {FAMILY[s.start : s.end].strip()[:24]: s.speaker.person for s in extract(FAMILY)}
    assert found['"He was on the brink of de'[:24]] == "Jessica Goeller"  # "his mother, Jessica Goeller"
    assert found["After that first transpla"[:24]] == "Jessica Goeller"  # not her son, the same surname
    assert found["\"He's always filled with s"[:24]] == "Jessica Goeller"  # "his mother said": named so before
    assert found['"Life-saving donation is o'[:24]] == "Kelly Preston"  # "she": Kelly, by the census; not George
    assert found["Not large-scale deals."] == "Guy Amosi"  # a doubled mark opens the quotation once
    assert found['"In the end, everything wi'[:24]] == "Guy Amosi"  # a new paragraph opening it again
    assert found['He continued, "Millions o'[:24]] == "Guy Amosi"  # past a heading in capitals
    assert found["He underlined there were "[:24]] == "Miki Naimi"  # the sentence before opens with him
    assert found['"Music is incredibly broad'[:24]] == "Robert Kyncl"  # a pull quote signed "Name, Company"
    assert found["Everybody on earth listen"[:24]] == "Robert Kyncl"  # and the rest of its quotation
    assert not any(s.start <= FAMILY.index("THE CITY") < s.end for s in extract(FAMILY))


def quotes(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "quotes", *args], capture_output=True, text=True, timeout=300
    )


def test_quotes_lists_a_speakers_statements_by_person_organisation_and_country(sample_settings: Settings) -> None:
    trudeau = json.loads(quotes("--speaker", "Trudeau", "--json").stdout)
    assert {s["person"] for s in trudeau} == {"Elizabeth Trudeau"} and len(trudeau) == 4
    assert {s["written"] for s in trudeau} >= {"she", "US State Department spokeswoman Elizabeth Trudeau"}
    index = Assistant(sample_settings).index
    for statement in trudeau:  # each sentence where it says, in its article
        article = index.article(statement["doc_id"])
        assert article is not None
        assert article.text[statement["char_start"] : statement["char_end"]] == statement["text"]
    us = json.loads(quotes("--speaker", "the US", "--json").stdout)
    assert {s["speaker"] for s in us} == {
        "US State Department spokeswoman Elizabeth Trudeau",
        "State Department",
        "agency spokeswoman Elizabeth Trudeau",  # the agency: the State Department, quoted just before
    }
    kalin = quotes("--speaker", "Kalin")
    assert kalin.returncode == 0 and kalin.stdout.startswith("Erdogan spokesman Ibrahim Kalin said")
    assert "set up committees" in kalin.stdout and "We welcome" not in kalin.stdout
    about = json.loads(quotes("--about", "hospitals clinics attacks", "--json").stdout)
    assert [s["person"] for s in about] == ["Farhan Haq"]
    nobody = quotes("--speaker", "Vladimir Putin")  # named, never quoted
    assert nobody.returncode == 0 and nobody.stdout == "" and "no statement found" in nobody.stderr
    bad = quotes("--since", "last spring")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_statements_are_removed_with_their_article_and_kept_through_a_merge(tmp_path: Path, local_embedder) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLES, folder)
    settings = Settings(index_dir=tmp_path / "index")
    build_index([folder], settings, embedder=local_embedder)
    (folder / "extra.txt").write_text(WRITTEN)
    build_index([folder], settings, embedder=local_embedder)  # a second segment
    assistant = Assistant(settings, embedder=local_embedder)
    assert {s.person for s in assistant.statements("Okafor")} == {"Jane Okafor"}
    assert len(assistant.index.segments) == 2
    root, manifest = IndexDir.of(settings), assistant.index.manifest()
    assert merge_segments(root, manifest, 1) == 2
    assert len(root.publish(manifest).segments) == 1
    assert {s.person for s in Assistant(settings, embedder=local_embedder).statements("Okafor")} == {"Jane Okafor"}
    (folder / "un-welcomes-turkey-russia-pledge.txt").unlink()
    build_index([folder], settings, embedder=local_embedder)
    after = Assistant(settings, embedder=local_embedder)
    assert after.statements("Haq") == [] and {s.person for s in after.statements("Okafor")} == {"Jane Okafor"}
    assert len(after.statements("Trudeau")) == 2  # the other article's


def test_a_claim_of_who_said_it_holds_only_where_that_speaker_said_it(sample_settings: Settings) -> None:
    from assistant.answering.citations import ClaimChecker
    from assistant.statements.search import statements_of

    assistant = Assistant(sample_settings)
    passages = assistant.retrieve("What did the Erdogan spokesman and the UN spokesman say?", top_k=6)
    said = {p.chunk.doc_id: statements_of(assistant.index, p.chunk.doc_id) for p in passages}
    haq = next(n for n, p in enumerate(passages, 1) if "Farhan Haq said" in p.chunk.text)
    kalin = next(n for n, p in enumerate(passages, 1) if "Ibrahim Kalin said" in p.chunk.text)
    trudeau = next(n for n, p in enumerate(passages, 1) if "Elizabeth Trudeau said Thursday" in p.chunk.text)
    checker = ClaimChecker(passages, statements=said)
    blind = ClaimChecker(passages)  # the same, without who said what: the words alone

    # the US spokeswoman's sentence names Russia and holds the words; it is not Russia speaking
    wrong = f"Russia said it is really interested in taking the fight to Islamic State [{trudeau}]."
    assert blind.check(wrong).held
    assert not checker.check(wrong).held and checker.check(wrong).unsupported
    right = f"The US said it would welcome Russia's interest in taking the fight to Islamic State [{trudeau}]."
    assert checker.check(right).held

    erdogan = f"The Erdogan spokesman said “We welcome any signs of greater international unity” [{haq}]."
    assert checker.check(erdogan).unsupported  # Haq's words (the words alone already failed: no Erdogan near them)
    haq_said = f"Farhan Haq said “We welcome any signs of greater international unity” [{haq}]."
    assert checker.check(haq_said).held
    moved = checker.check(f"Kalin said Turkey and Russia set up committees to discuss the war [{haq}].")
    assert moved.held and moved.claim.cites == (kalin,)  # re-pointed to Kalin's statement


def test_a_question_of_what_someone_said_is_answered_from_their_statements(sample_settings: Settings) -> None:
    from test_server import SlowModel

    from assistant.statements.search import asked_speaker

    assert asked_speaker("What did the US say about Russia and Daesh?") == "the US"
    assert asked_speaker("What did the Erdogan spokesman say?") == "the Erdogan spokesman"
    assert asked_speaker("Who won the game?") is None
    model = SlowModel("Kalin said Turkey and Russia set up committees to discuss the war [1].")
    question = "What did Kalin say about Syria?"
    alone = Assistant(sample_settings).retrieve(question, top_k=4)
    assert "Ibrahim Kalin said" not in alone[0].chunk.text  # by retrieval alone the UN spokesman comes first
    answer = Assistant(sample_settings, chat_model=model).ask(question)
    prompt = model.prompts[0][-1]["content"]
    assert "Ibrahim Kalin said" in prompt and "Farhan Haq" not in prompt  # his statements, not the others'
    assert not answer.refused and answer.citations[0].verified
