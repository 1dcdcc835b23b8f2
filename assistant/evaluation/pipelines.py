"""The pipelines an evaluation can run: ours, and the plain LangChain baseline a user would build."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from assistant.answering.citations import is_refusal
from assistant.answering.qa import REFUSAL, Assistant
from assistant.backends.chat import ChatModel, Messages
from assistant.records import Answer, Article, ArticleFields, Chunk, Passage, Retrieved
from assistant.settings import Settings

RETRIEVE_DEPTH = 20  # chunks retrieved per question for the Hits@k curve


class Pipeline(Protocol):
    name: str
    chunk_size: int
    chat_model: ChatModel | None

    def retrieve(self, question: str) -> list[Passage]:
        """The top `RETRIEVE_DEPTH` chunks, best first."""
        ...

    def answer(self, question: str, passages: list[Passage]) -> Answer: ...


class CachedChatModel:
    """A chat model whose replies are kept on disk by prompt hash, so re-scoring a run is cheap."""

    def __init__(self, inner: ChatModel, folder: Path) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.folder = folder
        self.hit = False
        self._tokens: int | None = None
        self._token_stats: dict[str, float] | None = None

    def _path(self, messages: Messages, max_tokens: int) -> Path:
        key = json.dumps([self.model_id, messages, max_tokens], sort_keys=True)
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        path = self._path(messages, max_tokens)
        if path.is_file():
            self.hit = True
            cached = json.loads(path.read_text())
            self._tokens = cached.get("prompt_tokens")
            yield cached["text"]
            reread = getattr(self.inner, "reread_token_stats", None)
            if "token_stats" not in cached and reread is not None:  # a reply cached before they were read
                cached["token_stats"] = reread(messages, cached["text"])
                path.write_text(json.dumps(cached))
            self._token_stats = cached.get("token_stats")
            return
        self.hit = False
        pieces = []
        for piece in self.inner.stream(messages, max_tokens):
            pieces.append(piece)
            yield piece
        self._tokens = self.inner.count_tokens(messages)
        read = getattr(self.inner, "token_stats", None)
        self._token_stats = read() if read is not None else None
        self.folder.mkdir(parents=True, exist_ok=True)
        reply = {"text": "".join(pieces), "prompt_tokens": self._tokens, "token_stats": self._token_stats}
        path.write_text(json.dumps(reply))

    def token_stats(self) -> dict[str, float] | None:
        return self._token_stats

    def count_tokens(self, messages: Messages) -> int | None:
        return self._tokens

    def yes_probability(self, messages: Messages) -> float | None:
        path = self._path(messages, -1)  # -1: a probe, not a reply
        if path.is_file():
            return json.loads(path.read_text())["p_yes"]
        probe = getattr(self.inner, "yes_probability", None)
        p_yes = probe(messages) if probe is not None else None
        self.folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"p_yes": p_yes}))
        return p_yes


class OurPipeline:
    name = "assistant"

    def __init__(self, settings: Settings, chat_model: ChatModel | None = None, rate: bool = True) -> None:
        self.settings = settings
        self.chunk_size = settings.chunk_size
        self.chat_model = chat_model
        self.assistant = Assistant(settings, chat_model=chat_model, rate=rate)

    def retrieve(self, question: str) -> list[Passage]:
        return self.assistant.retrieve(question, top_k=RETRIEVE_DEPTH)

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        return self.assistant.answer(question, passages[: self.settings.top_k])


class LangChainBaseline:
    """RecursiveCharacterTextSplitter 1000/200, Chroma, the same embedder, top-4 similarity, a stuff prompt."""

    name = "langchain-baseline"
    chunk_size = 1000
    top_k = 4
    PROMPT = (
        "Use the following pieces of context to answer the question at the end. "
        "If you don't know the answer, just say that you don't know, don't try to make up an answer.\n\n"
        "{context}\n\nQuestion: {question}\nHelpful Answer:"
    )

    def __init__(self, settings: Settings, corpus: Path, folder: Path, chat_model: ChatModel | None = None) -> None:
        self.settings = settings
        self.folder = folder
        self.corpus = corpus
        self.chat_model = chat_model
        self._store: Any = None

    @property
    def store(self) -> Any:
        if self._store is None:
            self._store = self._open_or_build()
        return self._store

    def _open_or_build(self) -> Any:
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from assistant.backends.embeddings import make_embedder
        from assistant.ingestion.files import load_articles

        embeddings = _langchain_embeddings(make_embedder(self.settings))
        done = self.folder / "complete"
        store = Chroma("baseline", embedding_function=embeddings, persist_directory=str(self.folder))
        if done.is_file():
            return store
        store.reset_collection()  # a build cut short must not leave its chunks to be added twice
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        documents = [
            Document(
                page_content=article.text,
                metadata={"doc_id": article.doc_id, "title": article.title, "source": article.source},
            )
            for article in load_articles([self.corpus])
            if isinstance(article, Article)
        ]
        chunks = splitter.split_documents(documents)
        for begin in range(0, len(chunks), 1000):
            store.add_documents(chunks[begin : begin + 1000])
        done.write_text(str(len(chunks)))
        return store

    def retrieve(self, question: str) -> list[Passage]:
        results = self.store.similarity_search_with_score(question, k=RETRIEVE_DEPTH)
        return [
            Passage(
                chunk=Chunk(
                    chunk_id=f"baseline-{rank}",
                    doc_id=doc.metadata["doc_id"],
                    text=doc.page_content,
                    char_start=0,
                    char_end=len(doc.page_content),
                ),
                score=float(-distance),
                **ArticleFields.stored_fields(doc.metadata),
            )
            for rank, (doc, distance) in enumerate(results)
        ]

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        from assistant.backends.chat import make_chat_model

        model = self.chat_model = self.chat_model or make_chat_model(self.settings, long_job=True)
        context = "\n\n".join(p.chunk.text for p in passages[: self.top_k])
        messages = [{"role": "user", "content": self.PROMPT.format(context=context, question=question)}]
        started = time.perf_counter()
        timings: dict[str, float] = {}
        pieces = []
        for piece in model.stream(messages, self.settings.max_answer_tokens):
            timings.setdefault("first_token_s", round(time.perf_counter() - started, 3))
            pieces.append(piece)
        timings["generation_s"] = round(time.perf_counter() - started, 3)
        text = "".join(pieces).strip()
        refused = is_refusal(text)
        return Answer(
            question=question,
            answer=REFUSAL if refused else text,
            refused=refused,
            retrieved=[
                Retrieved(
                    n=n,
                    chunk_id=p.chunk.chunk_id,
                    doc_id=p.chunk.doc_id,
                    score=p.score,
                    similarity=None,
                    keyword_score=None,
                )
                for n, p in enumerate(passages[: self.top_k], 1)
            ],
            timings=timings,
            prompt_tokens=model.count_tokens(messages),
            models={"llm": model.model_id},
        )


def _langchain_embeddings(embedder: Any) -> Any:
    """Our embedder behind LangChain's `Embeddings` interface."""
    from langchain_core.embeddings import Embeddings

    class OurEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed([text])[0].tolist()

    return OurEmbeddings()
