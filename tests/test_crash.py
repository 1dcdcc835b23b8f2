"""Builds killed with SIGKILL at many points leave the previous index whole, and the next build completes it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DAESH, SAMPLES, ScriptedModel, assert_whole

from assistant.answering.qa import Assistant
from assistant.ingestion.indexer import build_index, index_status
from assistant.settings import Settings
from assistant.store import IndexDir

HERE = Path(__file__).parent

# (function, before/after, which call, build/rebuild): each a different moment of a build
KILL_POINTS = [
    ("assistant.store.segment:SegmentWriter.__init__", "after", 1, "build"),  # segment and collection made, empty
    ("assistant.backends.embeddings:LocalEmbedder.embed", "before", 1, "build"),  # embedding the first batch
    ("assistant.store.segment:SegmentWriter.add", "before", 1, "build"),  # vectors ready, nothing stored
    ("assistant.store.segment:SegmentWriter.add", "after", 1, "build"),  # first batch stored
    ("assistant.store.bm25:Postings.save", "before", 1, "build"),  # rows saved, postings not
    ("assistant.store.segment:_durable_write", "before", 1, "build"),  # segment written but for meta.json
    ("assistant.store.segment:_durable_write", "after", 1, "build"),  # segment whole, no generation uses it
    ("assistant.store.index:_atomic_write", "before", 1, "build"),  # writing the generation
    ("assistant.store.index:_atomic_write", "after", 1, "build"),  # generation written, CURRENT not switched
    ("assistant.store.index:_atomic_write", "after", 2, "build"),  # CURRENT switched, not tidied
    ("shutil:rmtree", "before", 1, "build"),  # removing a segment no kept generation uses
    ("assistant.store.segment:Segment.chunks", "before", 2, "merge"),  # merging: the first segment copied
    ("assistant.store.segment:SegmentWriter.finish", "after", 2, "merge"),  # merged segment whole, unused
    ("assistant.store.segment:SegmentWriter.__init__", "after", 1, "rebuild"),  # empty segment made
    ("assistant.store.segment:SegmentWriter.add", "after", 2, "rebuild"),  # rebuild half stored
    ("assistant.backends.embeddings:LocalEmbedder.embed", "after", 3, "rebuild"),  # rebuild, embedding mid-way
    ("assistant.store.index:_atomic_write", "after", 1, "rebuild"),  # rebuilt, not yet published
]


def records(*, changed: bool) -> list[dict]:
    """Articles made from the sample texts; `changed` edits one, drops one and adds one."""
    texts = [path.read_text() for path in sorted(SAMPLES.glob("*.txt"))]
    rows = [
        {"id": f"r{i}", "title": f"Record {i}", "source": "Wire", "body": f"Dispatch {i}.\n\n{texts[i % 2]}"}
        for i in range(6)
    ]
    if changed:
        rows[0]["body"] += "\n\nA late paragraph: the talks were moved to Geneva."
        del rows[1]
        rows.append({"id": "r9", "title": "Record 9", "source": "Wire", "body": "A new dispatch about harbour fees."})
    return rows


def write_corpus(folder: Path, *, changed: bool) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "records.jsonl").write_text("\n".join(json.dumps(row) for row in records(changed=changed)))


@pytest.fixture(scope="module")
def base_index(tmp_path_factory: pytest.TempPathFactory, local_embedder) -> tuple[Path, Path]:
    """An index of the unchanged corpus with two generations (build, then rebuild)."""
    root = tmp_path_factory.mktemp("crash")
    corpus = root / "corpus"
    write_corpus(corpus, changed=False)
    settings = Settings(index_dir=root / "index")
    build_index([corpus], settings, embedder=local_embedder)
    build_index(None, settings, rebuild=True, embedder=local_embedder)
    return root / "index", corpus


@pytest.fixture
def crash_site(base_index: tuple[Path, Path], tmp_path: Path, monkeypatch) -> Iterator[Settings]:
    index, corpus = base_index
    shutil.copytree(index, tmp_path / "index")
    shutil.copytree(corpus, tmp_path / "corpus")
    # the copied index remembers the original corpus path: point it at the copy
    current = IndexDir(tmp_path / "index").open()
    data = json.loads(current.manifest_path.read_text())
    data["paths"] = [str((tmp_path / "corpus").resolve())]
    (record,) = data["sources"].values()  # its one source, moved with it
    data["sources"] = {data["paths"][0]: record}
    current.manifest_path.write_text(json.dumps(data))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    yield Settings(index_dir=tmp_path / "index")


def doc_ids(settings: Settings) -> set[str]:
    return set(IndexDir(settings.index_dir).open().articles)


def assert_answers(settings: Settings, local_embedder) -> None:
    """Generation, segments and their collections agree, and questions are answered from them."""
    assert_whole(IndexDir(settings.index_dir).open())
    answer = Assistant(settings, local_embedder, ScriptedModel("The US would welcome Russia's help [1].")).ask(DAESH)
    assert not answer.refused and answer.citations[0].quote


@pytest.mark.parametrize(("target", "when", "nth", "mode"), KILL_POINTS)
def test_a_killed_build_leaves_a_whole_index_and_the_next_build_completes(
    crash_site: Settings, local_embedder, target: str, when: str, nth: int, mode: str
) -> None:
    settings = crash_site
    corpus = settings.index_dir.parent / "corpus"
    before = doc_ids(settings)
    write_corpus(corpus, changed=True)
    after = {row["id"] for row in records(changed=True)}
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    killed = subprocess.run(
        [sys.executable, str(HERE / "kill_at.py"), target, when, str(nth), mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -9, killed.stderr[-2000:]

    status = subprocess.run(
        [sys.executable, "-m", "assistant", "index", "status", "--json"], env=env, capture_output=True, text=True
    )
    assert status.returncode == 0, status.stderr
    seen = doc_ids(settings)
    assert seen in (before, after)  # the old index or the new one, never a mix
    assert json.loads(status.stdout)["articles"] == len(seen)
    assert_answers(settings, local_embedder)

    report = build_index(None, settings, embedder=local_embedder)
    assert doc_ids(settings) == after and report.problems == []
    assert_answers(settings, local_embedder)
    assert index_status(settings).articles == len(after)
    root = IndexDir(settings.index_dir)
    assert len(root.generations()) <= 2  # what the crash left is cleaned up
    used = {entry["name"] for path in root.generations() for entry in json.loads(path.read_text())["segments"]}
    assert {folder.name for folder in root.segments_dir.iterdir()} == used
