"""Shared fixtures: hermetic settings, the real local embedder, a real index of the sample articles."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.backends.chat import Messages
from assistant.backends.embeddings import LocalEmbedder
from assistant.ingestion.indexer import build_index
from assistant.settings import Settings

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "examples" / "articles"
DAESH = "What did the US say about Russia and Daesh?"
ALEPPO = "What did China say about the siege of Aleppo?"


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user config file, no API key, no stray ASSISTANT_* setting from the machine."""
    import os

    for name in list(os.environ):
        if name.startswith("ASSISTANT_") or name == "OPENAI_API_KEY":
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


class CountingEmbedder:
    """The real local embedder, counting the texts it embeds."""

    def __init__(self, inner: LocalEmbedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts)


@pytest.fixture(scope="session")
def local_embedder() -> LocalEmbedder:
    return LocalEmbedder()


@pytest.fixture(scope="session")
def local_llm():  # type: ignore[no-untyped-def]
    """The bundled embedded LLM, loaded once."""
    from assistant.backends.chat import make_chat_model

    return make_chat_model(Settings())


@pytest.fixture
def embedder(local_embedder: LocalEmbedder) -> CountingEmbedder:
    return CountingEmbedder(local_embedder)


@pytest.fixture(scope="session")
def sample_index_dir(tmp_path_factory: pytest.TempPathFactory, local_embedder: LocalEmbedder) -> Path:
    """An index of the sample articles, built once per session (copy it before writing)."""
    folder = tmp_path_factory.mktemp("sample") / "index"
    build_index([SAMPLES], Settings(index_dir=folder), embedder=local_embedder)
    return folder


@pytest.fixture
def sample_settings(sample_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings over a private copy of the sample index (also exported for CLI runs)."""
    folder = tmp_path / "sample-index"
    shutil.copytree(sample_index_dir, folder)
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(folder))
    yield Settings(index_dir=folder)


def row_outlets(index) -> list[str]:  # type: ignore[no-untyped-def]
    """The (lower-cased) outlet of every row of the index, in row order."""
    return [str(s.meta["outlets"][code]) for s in index.segments for code in np.asarray(s.outlet_of_row)]


def assert_whole(index) -> None:  # type: ignore[no-untyped-def]
    """Each segment's collection holds exactly its rows (grouped by outlet); the live articles are the live rows'."""
    for segment in index.segments:
        stored = segment.collection.get(include=["metadatas"])
        assert sorted(stored["ids"]) == sorted(str(cid) for cid in segment.ids)
        rows = segment.added[[m["row"] for m in stored["metadatas"]]]
        assert segment.ids[rows].tolist() == stored["ids"]  # the row Chroma keeps maps to the chunk's row
        assert segment.rows_of(stored["ids"]).tolist() == rows.tolist()  # and so does the chunk's id
        assert (np.diff(segment.outlet_of_row) >= 0).all()
    live_docs = set()
    for position, segment in enumerate(index.segments):
        kept = segment.kept(index.deleted[position])
        live_docs |= {segment.articles[a]["doc_id"] for a in np.asarray(segment.article_of_row)[kept]}
    assert live_docs == set(index.articles)
    assert len(index.alive) == index.bm25.rows == int(index.offsets[-1])


class ScriptedModel:
    """A chat model that streams the replies it was given, in order, and keeps the prompts it got."""

    model_id = "scripted"

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.prompts: list[Messages] = []

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        self.prompts.append(messages)
        reply = self.replies.pop(0)
        for start in range(0, len(reply), 7):
            yield reply[start : start + 7]

    def count_tokens(self, messages: Messages) -> int | None:
        return sum(len(m["content"].split()) for m in messages)
