"""Server mode: the chunks kept in a real Chroma server (`chroma run` on 127.0.0.1), everything else unchanged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from chroma_server import ChromaServer, TokenProxy
from conftest import DAESH, SAMPLES, ScriptedModel, assert_whole

from assistant.answering.qa import Assistant
from assistant.errors import BackendError
from assistant.ingestion.indexer import build_index, index_status
from assistant.settings import Settings, load_settings
from assistant.store import IndexDir
from assistant.store.segment import SegmentWriter

HERE = Path(__file__).parent
STATE_DEPARTMENT = "US State Department spokeswoman Elizabeth Trudeau said Thursday"


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-data").start()
    yield server
    server.stop()


@pytest.fixture
def server_settings(chroma: ChromaServer, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", chroma.url)
    return load_settings()


def corpus_of(folder: Path, *extra: tuple[str, str]) -> Path:
    """The sample articles, plus (name, text) files."""
    shutil.copytree(SAMPLES, folder, dirs_exist_ok=True)
    for name, text in extra:
        (folder / name).write_text(text)
    return folder


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def used_collections(settings: Settings) -> set[str]:
    index = IndexDir.of(settings).open()
    return {(segment.folder / "collection").read_text() for segment in index.segments}


def test_build_update_rebuild_and_cited_answers_with_the_chunks_in_a_chroma_server(
    server_settings: Settings, chroma: ChromaServer, tmp_path: Path, local_embedder
) -> None:
    corpus = corpus_of(tmp_path / "corpus")
    report = build_index([corpus], server_settings, embedder=local_embedder)
    assert (report.articles, report.added, report.problems) == (2, 2, [])
    status = index_status(server_settings)
    assert (status.store, status.articles, status.chunks, status.segments) == (chroma.url, 2, report.chunks, 1)
    assert chroma.collections() == used_collections(server_settings)
    index = IndexDir.of(server_settings).open()
    assert not (index.segments[0].folder / "chroma").exists()  # no embedded store beside the server
    assert_whole(index)
    answer = Assistant(server_settings, local_embedder, ScriptedModel("The US would welcome it [1].")).ask(DAESH)
    assert not answer.refused and STATE_DEPARTMENT in answer.citations[0].quote
    article = Assistant(server_settings, local_embedder).article(answer.citations[0].doc_id)
    assert article is not None
    assert article.text[answer.citations[0].char_start : answer.citations[0].char_end] == answer.citations[0].quote

    changed = corpus / "un-welcomes-turkey-russia-pledge.txt"
    changed.write_text(changed.read_text() + "\nThe spokesman added that harbour fees in Geneva were not discussed.\n")
    (corpus / "new.md").write_text("# Port dues\n\nThe port of Antwerp raised its harbour fees again.\n")
    again = build_index([corpus], server_settings, embedder=local_embedder)
    assert (again.added, again.updated, again.unchanged) == (1, 1, 1)
    assert len(chroma.collections()) == 2 == index_status(server_settings).segments
    found = Assistant(server_settings, local_embedder).retrieve("harbour fees in Antwerp")
    assert found[0].chunk.doc_id == "corpus/new.md"

    first = used_collections(server_settings)
    build_index(None, server_settings, rebuild=True, embedder=local_embedder)
    build_index(None, server_settings, rebuild=True, embedder=local_embedder)
    assert chroma.collections() & first == set()  # dropped from the server two rounds later
    assert chroma.collections() >= used_collections(server_settings)
    assert Assistant(server_settings, local_embedder).retrieve(DAESH)

    shown = json.loads(cli("config", "--json").stdout)
    assert (shown["chroma_url"], shown["store"]) == (chroma.url, f"Chroma server {chroma.url}")


def test_ask_through_the_cli_with_the_local_model_and_the_chunks_in_a_chroma_server(
    server_settings: Settings, chroma: ChromaServer, tmp_path: Path, local_embedder
) -> None:
    build_index([SAMPLES], server_settings, embedder=local_embedder)
    asked = cli("ask", DAESH, "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"] and answer["citations"]
    assert any(STATE_DEPARTMENT in citation["quote"] for citation in answer["citations"])


def test_the_server_stopped_mid_build_is_one_error_and_the_previous_index_answers_once_it_is_back(
    server_settings: Settings, chroma: ChromaServer, tmp_path: Path, local_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = corpus_of(tmp_path / "corpus")
    build_index([corpus], server_settings, embedder=local_embedder)
    before = set(IndexDir.of(server_settings).open().articles)
    (corpus / "new.md").write_text("# Port dues\n\nThe port of Antwerp raised its harbour fees again.\n")
    add = SegmentWriter.add

    def stop_then_add(self: SegmentWriter, *args: object) -> None:
        chroma.stop()
        add(self, *args)

    monkeypatch.setattr(SegmentWriter, "add", stop_then_add)
    with pytest.raises(BackendError, match=f"^Chroma server at {chroma.url}: cannot reach it"):
        build_index([corpus], server_settings, embedder=local_embedder)
    monkeypatch.setattr(SegmentWriter, "add", add)

    chroma.start()
    assert set(IndexDir.of(server_settings).open().articles) == before
    answer = Assistant(server_settings, local_embedder, ScriptedModel("The US would welcome it [1].")).ask(DAESH)
    assert STATE_DEPARTMENT in answer.citations[0].quote
    report = build_index([corpus], server_settings, embedder=local_embedder)
    assert report.added == 1 and "corpus/new.md" in IndexDir.of(server_settings).open().articles
    assert chroma.collections() == used_collections(server_settings)  # what the failed build made is gone


def test_a_killed_build_leaves_the_previous_index_and_the_next_build_removes_its_collection(
    server_settings: Settings, chroma: ChromaServer, tmp_path: Path, local_embedder
) -> None:
    corpus = corpus_of(tmp_path / "corpus")
    build_index([corpus], server_settings, embedder=local_embedder)
    (corpus / "new.md").write_text("# Port dues\n\nThe port of Antwerp raised its harbour fees again.\n")
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    killed = subprocess.run(
        [sys.executable, str(HERE / "kill_at.py"), "assistant.store.segment:SegmentWriter.add", "after", "1", "build"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert len(chroma.collections()) == 2  # the killed build's collection, unused
    index = IndexDir.of(server_settings).open()
    assert "corpus/new.md" not in index.articles and Assistant(server_settings, local_embedder).retrieve(DAESH)
    build_index([corpus], server_settings, embedder=local_embedder)
    assert chroma.collections() == used_collections(server_settings)
    assert_whole(IndexDir.of(server_settings).open())


def test_readers_during_a_build_in_server_mode_see_the_old_or_the_new_index(
    server_settings: Settings, tmp_path: Path, local_embedder
) -> None:
    texts = [path.read_text() for path in sorted(SAMPLES.glob("*.txt"))]
    corpus = tmp_path / "corpus"
    corpus.mkdir()

    def write(prefix: str, copies: int) -> set[str]:
        rows = [{"id": f"{prefix}{i}", "title": f"{prefix}{i}", "body": texts[i % 2]} for i in range(copies)]
        (corpus / "records.jsonl").write_text("\n".join(json.dumps(row) for row in rows))
        return {row["id"] for row in rows}

    old = write("old", 8)
    build_index([corpus], server_settings, embedder=local_embedder)
    new = write("new", 24)  # every article replaced: a mix would show both
    writer = subprocess.Popen([sys.executable, "-m", "assistant", "index", "build"], stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    while writer.poll() is None or not seen:
        assistant = Assistant(server_settings, local_embedder, ScriptedModel("The US welcomed Russia's interest [1]."))
        answer = assistant.ask(DAESH)
        articles = set(assistant.index.articles)
        assert articles in (old, new)
        assert {passage.doc_id for passage in answer.retrieved} <= articles and answer.citations
        seen.append("old" if articles == old else "new")
        time.sleep(0.05)
    assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
    assert set(Assistant(server_settings, local_embedder).index.articles) == new
    assert "old" in seen, seen


def test_an_unreachable_server_at_ask_time_is_one_line(
    server_settings: Settings, chroma: ChromaServer, local_embedder
) -> None:
    build_index([SAMPLES], server_settings, embedder=local_embedder)
    chroma.stop()
    for command in (["ask", DAESH], ["search", DAESH]):
        result = cli(*command)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f"error: Chroma server at {chroma.url}: cannot reach it (is it running?)"
        ]
    assert json.loads(cli("index", "status", "--json").stdout)["store"] == chroma.url  # read from the index folder


def test_the_token_is_sent_and_a_wrong_one_is_one_line(chroma: ChromaServer, tmp_path: Path, local_embedder) -> None:
    proxy = TokenProxy(chroma.url, "s3cret")
    try:
        settings = Settings(index_dir=tmp_path / "index", chroma_url=proxy.url, chroma_token="s3cret")
        build_index([SAMPLES], settings, embedder=local_embedder)
        assert Assistant(settings, local_embedder).retrieve(DAESH)
        assert proxy.hits and set(proxy.hits) == {"Bearer s3cret"}
        env = {"ASSISTANT_CHROMA_URL": proxy.url, "ASSISTANT_CHROMA_TOKEN": "wrong"}
        result = cli("search", DAESH, **env)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f"error: Chroma server at {proxy.url}: refused the request: wrong or missing token (ASSISTANT_CHROMA_TOKEN)"
        ]
        assert cli("search", DAESH, **env | {"ASSISTANT_CHROMA_TOKEN": "s3cret"}).returncode == 0
    finally:
        proxy.close()


def test_an_index_kept_in_a_server_is_not_read_as_embedded(server_settings: Settings, local_embedder) -> None:
    build_index([SAMPLES], server_settings, embedder=local_embedder)
    embedded = server_settings.model_copy(update={"chroma_url": None})
    result = cli("search", DAESH, ASSISTANT_CHROMA_URL="")
    assert result.returncode == 1
    assert f"set ASSISTANT_CHROMA_URL={server_settings.chroma_url}" in result.stderr
    report = build_index([SAMPLES], embedded, rebuild=True, embedder=local_embedder)
    assert report.articles == 2 and index_status(embedded).store == "embedded"
