"""The answer pipeline with a scripted chat model (our own boundary); real index and embedder."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from conftest import DAESH, ScriptedModel

import assistant
from assistant.answering.qa import REFUSAL, Assistant
from assistant.backends.chat import Messages
from assistant.resources import load_prompt, prompt_dir
from assistant.settings import Settings


def test_prompt_placeholders_are_exactly_those_the_code_substitutes() -> None:
    """Every `$name` of every `prompts/*.txt` is substituted by the code, and every keyword the code passes is one."""
    used: dict[str, set[str]] = {}  # prompt -> the keywords the code substitutes in it
    for path in Path(assistant.__file__).parent.rglob("*.py"):
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef):
                continue
            loaded = {  # variables a prompt is loaded into, in this function
                node.targets[0].id: _prompt_name(node.value)
                for node in ast.walk(function)
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and _prompt_name(node.value)
            }
            for node in ast.walk(function):
                if not isinstance(node, ast.Attribute):
                    continue
                name = _prompt_name(node.value) or (isinstance(node.value, ast.Name) and loaded.get(node.value.id))
                if name and node.attr == "template":  # used whole (the system turn)
                    used.setdefault(name, set())
                if name and node.attr == "substitute":
                    calls = [c for c in ast.walk(function) if isinstance(c, ast.Call) and c.func is node]
                    used.setdefault(name, set()).update(k.arg for c in calls for k in c.keywords if k.arg)
    assert set(used) == {p.stem for p in prompt_dir().glob("*.txt")}  # no prompt unused, none missing
    for name, keywords in used.items():
        template = load_prompt(name)
        found = {m.group("named") or m.group("braced") for m in template.pattern.finditer(template.template)} - {None}
        assert found == keywords, name


def _prompt_name(node: ast.AST) -> str | None:
    """NAME of a `load_prompt("NAME")` call."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "load_prompt" and node.args:
        first = node.args[0]
        return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
    return None


def test_answer_keeps_valid_citations_and_drops_invented_ones(sample_settings: Settings, local_embedder) -> None:
    model = ScriptedModel("The US would welcome Russia's interest in fighting the group [1][9]. It said more.")
    answer = Assistant(sample_settings, embedder=local_embedder, chat_model=model).ask(DAESH)
    assert not answer.refused
    (citation,) = answer.citations  # [9] names no passage; [1] is re-pointed to the one holding the claim
    claim = "The US would welcome Russia's interest in fighting the group"
    assert answer.answer == f"{claim} [{citation.n}]. It said more."
    assert answer.removed_markers == [9]
    assert answer.uncited_sentences == []  # "It said more." is too short to be a claim
    assert "would welcome" in citation.quote and "Russia" in citation.quote and citation.verified
    assert citation.chunk_id == next(r.chunk_id for r in answer.retrieved if r.n == citation.n)
    user_prompt = model.prompts[0][1]["content"]
    assert citation.quote in user_prompt  # the quote is a sentence the model was shown
    assert DAESH in user_prompt and "[1]" in user_prompt


def test_a_model_refusal_becomes_refused_true(sample_settings: Settings, local_embedder) -> None:
    shown: list[str] = []
    model = ScriptedModel("I don't know based on these articles.")
    answer = Assistant(sample_settings, embedder=local_embedder, chat_model=model).ask(DAESH, on_text=shown.append)
    assert answer.refused and answer.answer == REFUSAL and answer.citations == []
    assert "".join(shown) == REFUSAL


def test_nothing_relevant_is_refused_without_calling_the_model(sample_settings: Settings, local_embedder) -> None:
    model = ScriptedModel()
    answer = Assistant(sample_settings, embedder=local_embedder, chat_model=model).ask("Best sourdough recipe?")
    assert answer.refused and answer.retrieved == [] and model.prompts == []


def test_a_question_about_an_outlet_the_index_lacks_is_refused(tmp_path, local_embedder) -> None:
    import json

    from assistant.ingestion.indexer import build_index

    corpus = tmp_path / "c.jsonl"
    body = "Apple shipped a new iPhone update on Friday, the company said."
    corpus.write_text(json.dumps({"id": "v1", "title": "T", "source": "The Verge", "body": body}) + "\n")
    settings = Settings(index_dir=tmp_path / "index")
    build_index([corpus], settings, embedder=local_embedder)
    model = ScriptedModel("Apple shipped an update [1].", "Apple shipped an update [1].")
    assistant = Assistant(settings, embedder=local_embedder, chat_model=model)
    answer = assistant.ask("What did a Bloomberg article say about the iPhone update?")
    assert answer.refused and "Bloomberg" in answer.answer and model.prompts == []
    assert not assistant.ask("What did The Verge article say about the iPhone update?").refused
    unknown = assistant.ask("What did Tim Cook and Vandita Pant say about the iPhone update?")
    assert unknown.refused and unknown.answer.endswith("None of them mentions Tim, Cook, Vandita, Pant.")
    assert len(model.prompts) == 1  # only The Verge question reached the model


class WrongCitationModel(ScriptedModel):
    """Answers with `claim`, citing a shown source other than the one whose text holds `needle`."""

    def __init__(self, claim: str, needle: str) -> None:
        super().__init__()
        self.claim, self.needle = claim, needle
        self.right: int | None = None
        self.wrong: int | None = None

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        import re

        self.prompts.append(messages)
        sources = re.split(r"\n(?=\[\d+\] )", messages[1]["content"].split("Question:")[0])
        numbered = {int(m.group(1)): text for text in sources if (m := re.match(r"\[(\d+)\] ", text))}
        self.right = next(n for n, text in numbered.items() if self.needle in text)
        self.wrong = next(n for n in numbered if n != self.right)
        yield f"{self.claim} [{self.wrong}]."


def test_a_citation_of_the_wrong_passage_is_re_pointed(sample_settings: Settings, local_embedder) -> None:
    model = WrongCitationModel("Turkey is sheltering more than 2.7 million Syrians", "2.7 million")
    shown: list[str] = []
    answer = Assistant(sample_settings, embedder=local_embedder, chat_model=model).ask(
        "How many Syrians is Turkey sheltering?", on_text=shown.append
    )
    assert answer.corrected_markers == [{"from": model.wrong, "to": model.right}]
    assert answer.answer == f"Turkey is sheltering more than 2.7 million Syrians [{model.right}]."
    assert "".join(shown) == answer.answer  # the corrected marker is the only one ever shown
    (citation,) = answer.citations
    assert citation.n == model.right and "2.7 million" in citation.quote and citation.verified
    assert answer.unsupported_sentences == []


def test_a_claim_no_shown_sentence_holds_is_flagged(sample_settings: Settings, local_embedder) -> None:
    model = ScriptedModel("The minister said talks would resume in May [1].")
    shown: list[str] = []
    answer = Assistant(sample_settings, embedder=local_embedder, chat_model=model).ask(
        "Who is Turkey's foreign minister?", on_text=shown.append
    )
    assert answer.unsupported_sentences == ["The minister said talks would resume in May."]
    assert answer.corrected_markers == []
    assert not answer.citations[0].verified and answer.citations[0].support < 0.6
    assert "".join(shown) == "The minister said talks would resume in May [1] (unverified)."


def test_one_copy_of_each_sentence_reaches_the_prompt(sample_settings: Settings, local_embedder) -> None:
    import re

    model = ScriptedModel("Turkey keeps the airbase open [1].")
    Assistant(sample_settings, embedder=local_embedder, chat_model=model).ask(
        "What did Turkey say about the Incirlik airbase and the Kalin committees?"
    )
    shown = [s for s in re.split(r"(?<=[.!?])\s+|\s*…\s*|\n+", model.prompts[0][1]["content"]) if len(s) > 30]
    assert len(shown) == len(set(shown)), [s for s in shown if shown.count(s) > 1]


def test_one_unknown_name_goes_to_the_model_with_a_note(sample_settings: Settings, local_embedder) -> None:
    question = "What did Vandita say about the Incirlik airbase?"
    invented = ScriptedModel("Vandita said Turkey opened its southern Incirlik airbase [1].")
    shown: list[str] = []
    answer = Assistant(sample_settings, embedder=local_embedder, chat_model=invented).ask(
        question, on_text=shown.append
    )
    assert "None of the sources mentions Vandita." in invented.prompts[0][1]["content"]
    assert answer.refused and "".join(shown) == REFUSAL  # no source holds a claim: nothing invented was shown

    held = ScriptedModel("Turkey opened its southern Incirlik airbase near the border with Syria [1].")
    answer = Assistant(sample_settings, embedder=local_embedder, chat_model=held).ask(question)
    assert not answer.refused and answer.citations[0].verified


def test_a_seat_of_government_stands_for_its_country(sample_settings: Settings, local_embedder) -> None:
    model = ScriptedModel("Washington would welcome Russia's interest in taking the fight to Islamic State [1].")
    assistant = Assistant(sample_settings, embedder=local_embedder, chat_model=model)
    answer = assistant.ask("What did Washington say about Russia's interest in fighting the militants?")
    assert assistant.screen("What did Washington say?") == ("", "")
    assert "None of the sources mentions" not in model.prompts[0][1]["content"]
    assert not answer.refused and answer.unsupported_sentences == [] and answer.citations[0].verified
    assert "US State Department" in answer.citations[0].quote


def test_a_follow_up_is_retrieved_and_asked_with_the_question_before(sample_settings: Settings, local_embedder) -> None:
    from assistant.answering.followup import Turn, is_follow_up

    model = ScriptedModel("The UN welcomed the pledge [1].", "Turkey opened its Incirlik airbase [1].")
    assistant = Assistant(sample_settings, embedder=local_embedder, chat_model=model)
    history = [Turn(question=DAESH, answer="The US would welcome Russia's interest [1].")]
    answer = assistant.ask("And what did the UN say?", history=history)
    assert answer.question == "And what did the UN say?"
    assert f"And what did the UN say? (Follow-up to: {DAESH})" in model.prompts[0][1]["content"]
    assistant.ask("Which airbase did Turkey open?", history=history)  # a question of its own: asked alone
    assert "Follow-up" not in model.prompts[1][1]["content"]
    standalone = "Which company, reported by TechCrunch for its third-quarter profit, is known for ride-sharing?"
    questions = ("What about Iran?", "Did they agree?", "Who is Turkey's foreign minister?", standalone)
    assert [is_follow_up(q) for q in questions] == [True, True, False, False]
