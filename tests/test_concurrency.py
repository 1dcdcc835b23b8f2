"""Two writers never corrupt the index; readers during a build see the old index or the new one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DAESH, SAMPLES, assert_whole

from assistant.answering.qa import Assistant
from assistant.settings import Settings
from assistant.store import IndexDir


def write_corpus(folder: Path, prefix: str, copies: int = 8) -> set[str]:
    """`copies` articles from the sample texts, with ids starting with `prefix`."""
    folder.mkdir(exist_ok=True)
    texts = [path.read_text() for path in sorted(SAMPLES.glob("*.txt"))]
    rows = [{"id": f"{prefix}{i}", "title": f"{prefix}{i}", "body": texts[i % 2]} for i in range(copies)]
    (folder / "records.jsonl").write_text("\n".join(json.dumps(row) for row in rows))
    return {row["id"] for row in rows}


def cli(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_writer_waits_then_fails_clearly(settings: Settings, tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", "a")
    with IndexDir(settings.index_dir).lock(timeout=1):
        blocked = cli("index", "build", str(tmp_path / "corpus"), ASSISTANT_LOCK_TIMEOUT="1")
        _, stderr = blocked.communicate(timeout=120)
    assert blocked.returncode == 1
    assert stderr.strip().splitlines() == [
        f"error: another process is writing the index at {settings.index_dir} (waited 1 s, "
        "ASSISTANT_LOCK_TIMEOUT); try again when it is done"
    ]
    assert IndexDir(settings.index_dir).current() is None  # nothing was written


def test_two_builds_at_once_both_complete_one_after_the_other(settings: Settings, tmp_path: Path) -> None:
    first = write_corpus(tmp_path / "one", "a")
    second = write_corpus(tmp_path / "two", "b")
    builds = [cli("index", "add", str(tmp_path / name), "--json") for name in ("one", "two")]
    results = [build.communicate(timeout=300) for build in builds]
    assert [build.returncode for build in builds] == [0, 0], results
    index = IndexDir(settings.index_dir).open()
    assert set(index.articles) == first | second  # the two sources, added one after the other
    assert list(index.manifest().sources) in (
        [str(tmp_path / "one"), str(tmp_path / "two")],
        [str(tmp_path / "two"), str(tmp_path / "one")],
    )
    assert_whole(index)


@pytest.mark.parametrize("command", [["index", "rebuild"], ["index", "build"]])
def test_readers_during_a_build_see_the_old_or_the_new_index(
    settings: Settings, tmp_path: Path, local_embedder, command: list[str]
) -> None:
    from conftest import ScriptedModel

    corpus = tmp_path / "corpus"
    old = write_corpus(corpus, "old")
    assert cli("index", "build", str(corpus)).wait(timeout=300) == 0
    new = write_corpus(corpus, "new", copies=24)  # every article replaced: a mix would show both
    writer = cli(*command)
    seen: list[str] = []
    while writer.poll() is None or not seen:
        assistant = Assistant(settings, local_embedder, ScriptedModel("The US welcomed Russia's interest [1]."))
        answer = assistant.ask(DAESH)
        docs = {passage.doc_id for passage in answer.retrieved}
        articles = set(assistant.index.articles)
        assert articles in (old, new) and docs and (docs <= articles)
        assert answer.citations and answer.citations[0].doc_id in articles
        seen.append("old" if articles == old else "new")
        time.sleep(0.05)
    assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
    final = Assistant(settings, local_embedder)
    assert set(final.index.articles) == new
    print(f"reads during {command}: {len(seen)}, old {seen.count('old')}, new {seen.count('new')}")
    assert "old" in seen and len(seen) >= 3, seen
