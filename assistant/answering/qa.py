"""Answer a question from the index: retrieve, prompt, stream, check citations."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from assistant.answering.aliases import referents
from assistant.answering.checked_stream import REFUSAL, CheckedStream, TextSink
from assistant.answering.evidence import excerpt, select_evidence
from assistant.answering.followup import Turn, in_context
from assistant.answering.injection import neutralise
from assistant.answering.mentions import unknown_names, unknown_outlets
from assistant.answering.reranking import rerank
from assistant.answering.retrieval import Filters, retrieve
from assistant.backends.chat import ChatModel, Messages, make_chat_model
from assistant.backends.embeddings import Embedder, make_embedder
from assistant.backends.turns import one_turn
from assistant.confidence import ConfidenceModel, after_answer, before_answer, load_model
from assistant.judges import AnswerJudge, ClaimVerifier, answer_judge, claim_verifier
from assistant.records import Answer, Article, Passage, Retrieved, Statement
from assistant.resources import load_prompt
from assistant.settings import Settings
from assistant.statements.search import asked_speaker, find_statements, speaks_for, statements_of, unread_articles
from assistant.store import Index, IndexDir
from assistant.text import tokenize

log = logging.getLogger(__name__)


class Assistant:
    """Questions over one index, with the models the settings name (loaded on first use)."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        chat_model: ChatModel | None = None,
        rate: bool = True,
        model_in_worker: bool = False,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._chat_model = chat_model
        self.rate = rate  # score the confidence signals (False: only read them, as when fitting the model)
        self.model_in_worker = model_in_worker  # a long-running server: the embedded model in a worker process

    @cached_property
    def verifier(self) -> ClaimVerifier | None:
        return claim_verifier() if self.settings.claim_verifier else None

    @cached_property
    def answer_judge(self) -> AnswerJudge | None:
        return answer_judge() if self.settings.answer_judge else None

    @cached_property
    def confidence_model(self) -> ConfidenceModel | None:
        if not (self.settings.confidence and self.rate):
            return None
        return load_model(self.settings.confidence_model)

    @cached_property
    def index(self) -> Index:
        index = IndexDir.of(self.settings).open()
        index.check_embedding_model(index.manifest(), self.embedder.model_id)
        return index

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings, questions=True)
        return self._embedder

    @property
    def chat_model(self) -> ChatModel:
        if self._chat_model is None:
            self._chat_model = make_chat_model(self.settings, worker=self.model_in_worker)
        return self._chat_model

    def model_health(self) -> dict[str, Any] | None:
        """The state of the model's worker process, where it has one."""
        health = getattr(self._chat_model, "health", None)
        return health() if health is not None else None

    def close(self) -> None:
        """Stop the model's worker process, if it has one."""
        close = getattr(self._chat_model, "close", None)
        if close is not None:
            close()

    def prepare(self) -> None:
        """Open the index and load the models now, not at the first question (a server does this at start-up)."""
        self.index.bm25, self.index.alive  # noqa: B018 (loads them)
        self.embedder.embed(["warm-up"])
        prepare = getattr(self.chat_model, "prepare", None)
        if prepare is not None:
            prepare(build_messages("", []))

    def refresh(self) -> None:
        """Read the index's current generation from now on, if a build published a new one since it was opened."""
        current = IndexDir.of(self.settings).current()
        if "index" in self.__dict__ and current is not None and current.name != self.index.name:
            del self.__dict__["index"]

    def article(self, doc_id: str) -> Article | None:
        """An indexed article: the text that citations' `char_start`/`char_end` point into."""
        return self.index.article(doc_id)

    def statements(
        self, speaker: str | None = None, about: str | None = None, filters: Filters | None = None, limit: int = 50
    ) -> list[Statement]:
        """Who said what: the statements of `speaker` (a person, organisation or country) about `about`, newest
        first (`assistant.statements`)."""
        filters = filters or Filters()
        if unread := unread_articles(self.index):
            log.warning(
                "%d articles were indexed before statements were found: `assistant index rebuild` reads theirs", unread
            )
        return find_statements(self.index, speaker, about, filters.sources, filters.since, filters.until, limit)

    def retrieve(self, question: str, top_k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        """The `top_k` passages that best answer `question`: retrieval's best `rerank_depth`, ranked by the judge."""
        return self.rerank(question, self.candidates(question, top_k, filters), top_k)

    def _speaking(self, question: str, passages: list[Passage]) -> list[bool]:
        """Which passages hold a statement of the speaker `question` asks about ("what did X say"), if any."""
        speaker = asked_speaker(question)
        if speaker is None:
            return [False] * len(passages)
        said = {doc: statements_of(self.index, doc) for doc in {p.chunk.doc_id for p in passages}}
        return [
            any(
                s.overlaps(p.chunk.char_start, p.chunk.char_end) and speaks_for(speaker, s)
                for s in said[p.chunk.doc_id]
            )
            for p in passages
        ]

    def candidates(self, question: str, top_k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        """Retrieval's passages for `question`: as many as the judge reads, or `top_k` without a judge."""
        wanted = top_k or self.settings.top_k
        return retrieve(
            question,
            self.index,
            self.embedder,
            max(wanted, self.settings.rerank_depth) if self.answer_judge else wanted,
            filters,
            min_similarity=self.settings.min_similarity,
        )

    def rerank(self, question: str, passages: list[Passage], top_k: int | None = None) -> list[Passage]:
        """`passages` ranked by the answerability judge (as they are without one), the best `top_k`."""
        ranked = rerank(question, passages, self.answer_judge) if self.answer_judge else passages
        return ranked[: top_k or self.settings.top_k]

    def screen(self, question: str) -> tuple[str, str]:
        """Read from the question alone: why the index cannot hold the answer, and a note for the model.

        A question about reports from an outlet the index lacks, or naming two or
        more words no article uses ("Vandita Pant" when neither is known), is
        refused without asking the model. One unknown name alone is often a
        paraphrase ("Washington" for the State Department): it goes to the model
        with a note saying no source mentions it, and what to do then.
        """
        if self.index.every_article_has_source:  # else any outlet may be among the articles of unknown origin
            if outlets := unknown_outlets(question, self.index.sources, self.index.titles):
                return f"None of them comes from {', '.join(outlets)}.", ""
        names = unknown_names(question, self._known)
        if len(names) > 1:
            return f"None of them mentions {', '.join(names)}.", ""
        if names:
            return "", load_prompt("unknown_name").substitute(name=names[0]).strip()
        return "", ""

    def _known(self, word: str) -> bool:
        """Whether an article uses `word`, or names what it stands for ("Washington": the US)."""
        return self.index.mentions(word) or any(self.index.mentions(r) for r in referents(word) if tokenize(r))

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        on_text: TextSink | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """Answer `question`, passing the answer text to `on_text` as it is generated.

        `history` holds the conversation so far: a follow-up ("And what did Russia
        say?") is retrieved and answered together with the question before it.
        """
        started = time.perf_counter()
        asked = in_context(question, history)
        screened = self.screen(asked)  # a question the index cannot answer is not searched for
        passages = [] if screened[0] else self.candidates(asked, top_k, filters)
        retrieved = time.perf_counter()
        passages = self.rerank(asked, passages, top_k)
        if any(speaking := self._speaking(asked, passages)):  # "what did X say": X's statements, not others' words
            passages = [passage for passage, speaks in zip(passages, speaking, strict=True) if speaks]
        judged_s = time.perf_counter() - retrieved
        answer = self.answer(asked, passages, on_text, retrieval_s=time.perf_counter() - started, screened=screened)
        if self.answer_judge is not None:
            answer = answer.model_copy(update={"timings": answer.timings | {"judge_s": round(judged_s, 3)}})
        return answer.model_copy(update={"question": question}) if asked != question else answer

    def answer(
        self,
        question: str,
        retrieved_passages: list[Passage],
        on_text: TextSink | None = None,
        retrieval_s: float = 0.0,
        screened: tuple[str, str] | None = None,
    ) -> Answer:
        """Answer `question` from passages already retrieved for it (`screened`: what `screen` said of it)."""
        sink = on_text or (lambda text: None)
        started = time.perf_counter() - retrieval_s
        reason, note = screened or self.screen(question)
        if reason:
            retrieved_passages = []
        passages = select_evidence(question, retrieved_passages, self.embedder, self.settings.max_evidence_sentences)
        timings = {"retrieval_s": time.perf_counter() - started}
        numbers = {p.chunk.chunk_id: n for n, p in enumerate(passages, 1)}
        result = Answer(
            question=question,
            answer=REFUSAL,
            refused=True,
            retrieved=[
                Retrieved(
                    n=numbers.get(p.chunk.chunk_id),
                    chunk_id=p.chunk.chunk_id,
                    doc_id=p.chunk.doc_id,
                    score=p.score,
                    similarity=p.similarity,
                    keyword_score=p.keyword_score,
                )
                for p in retrieved_passages
            ],
            models={"embeddings": self.embedder.model_id},
        )
        if not passages:  # nothing relevant: no need to ask the model
            text = f"{REFUSAL} {reason}".strip()
            sink(text)
            timings["total_s"] = time.perf_counter() - started
            return result.model_copy(update={"answer": text, "timings": _rounded(timings)})

        with one_turn(self.chat_model):  # probe, reply and reading in one turn at a local model
            return self._written(question, passages, note, result, timings, started, sink)

    def _written(
        self,
        question: str,
        passages: list[Passage],
        note: str,
        result: Answer,
        timings: dict[str, float],
        started: float,
        sink: TextSink,
    ) -> Answer:
        """The model's answer from the evidence `passages`, checked and rated, completing `result`."""
        messages = build_messages(question, passages, note=note)
        rating = self.confidence_model
        signals = before_answer(self.chat_model, messages, question, passages) if self.settings.confidence else {}
        timings["signals_s"] = time.perf_counter() - started - timings["retrieval_s"]
        if rating and (early := rating.before.score(signals)) < self._threshold("refuse_below", rating):
            text = f"{REFUSAL} {_doubt(passages)}"
            sink(text)
            timings["total_s"] = time.perf_counter() - started
            update = {"answer": text, "timings": _rounded(timings), "confidence": round(early, 3), "signals": signals}
            return result.model_copy(update=update | {"models": {**result.models, "llm": self.chat_model.model_id}})
        # with a name no article uses, an answer no source holds is an invention: kept back until checked
        said = {doc: statements_of(self.index, doc) for doc in {p.chunk.doc_id for p in passages}}  # who said what
        stream = CheckedStream(passages, sink, question, bool(note), self.verifier, said)
        generation_started = time.perf_counter()
        for piece in self.chat_model.stream(messages, self.settings.max_answer_tokens):
            if "first_token_s" not in timings:
                timings["first_token_s"] = time.perf_counter() - started
            stream.feed(piece)
        text, removed = stream.finish()
        timings["generation_s"] = time.perf_counter() - generation_started
        if (waited := getattr(self.chat_model, "pop_timings", None)) is not None:
            timings |= waited()  # a worker process (re)started for this answer: its load time
        if self.verifier is not None:
            timings["verify_s"] = stream.checker.verify_s
        if self.settings.confidence and not stream.refused:
            signals |= after_answer(stream.checked, self.chat_model)
        timings["total_s"] = time.perf_counter() - started
        update = {
            "timings": _rounded(timings),
            "models": {**result.models, "llm": self.chat_model.model_id},
            "prompt_tokens": self.chat_model.count_tokens(messages),
            "signals": signals,
        }
        if not stream.refused:
            checked = stream.checked
            update |= {
                "answer": text,
                "refused": False,
                "citations": stream.checker.citations(checked),
                "uncited_sentences": [item.claim.text for item in checked if item.uncited],
                "removed_markers": removed,
                "corrected_markers": [{"from": old, "to": new} for item in checked for old, new in item.corrected],
                "unsupported_sentences": [item.claim.text for item in checked if item.unsupported],
            }
            if rating:
                confidence = rating.after.score(signals)
                update |= {
                    "confidence": round(confidence, 3),
                    "low_confidence": confidence < self._threshold("doubt_below", rating),
                }
        return result.model_copy(update=update)

    def _threshold(self, name: str, rating: ConfidenceModel) -> float:
        setting = getattr(self.settings, name)
        return float(getattr(rating, name) if setting is None else setting)


def _doubt(passages: list[Passage]) -> str:
    """Why an answer was refused before it was written: what the articles found are about."""
    titles = list(dict.fromkeys(p.title or p.chunk.doc_id for p in passages))[:2]
    found = " and ".join(f"“{neutralise(t)}”" for t in titles)
    return f"The closest articles ({found}) are on the topic, but none of them appears to state the answer."


def build_messages(question: str, passages: list[Passage], note: str = "") -> Messages:
    """The chat prompt: the system turn, then the numbered sources and the question (and `note`, if any)."""
    source = load_prompt("source")
    sources = "\n\n".join(
        source.substitute(
            n=n,
            title=neutralise(p.title or p.chunk.doc_id),
            source=neutralise(p.source or "unknown outlet"),
            date=p.published_at[:10] if p.published_at else "date unknown",
            text=neutralise(excerpt(p)),
        ).strip()
        for n, p in enumerate(passages, 1)
    )
    return [
        {"role": "system", "content": load_prompt("system").template.strip()},
        {
            "role": "user",
            "content": load_prompt("question")
            .substitute(sources=sources, question=f"{question} {note}".strip())
            .strip(),
        },
    ]


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 3) for key, value in timings.items()}
