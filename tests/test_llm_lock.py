"""Embedded-model answers take turns at the cores: a second generation waits instead of thrashing both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from conftest import DAESH
from filelock import FileLock

from assistant.settings import Settings

pytestmark = pytest.mark.llm


def ask(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "ask", DAESH, *args],
        env={**os.environ, "COLUMNS": "400"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def lines_of(stream, into: list[str]) -> threading.Thread:  # type: ignore[no-untyped-def]
    thread = threading.Thread(target=lambda: into.extend(iter(stream.readline, "")), daemon=True)
    thread.start()
    return thread


def test_an_answer_waits_while_another_generation_holds_the_model(sample_settings: Settings) -> None:
    lock = FileLock(str(Settings().cache_dir / "llm.lock"))
    with lock:
        process = ask()
        stderr: list[str] = []
        reader = lines_of(process.stderr, stderr)
        deadline = time.monotonic() + 120
        while not any("waiting for the model" in line for line in stderr):
            assert process.poll() is None, "".join(stderr)
            assert time.monotonic() < deadline, "never said it was waiting"
            time.sleep(0.1)
        time.sleep(2)
        assert process.poll() is None  # still waiting: nothing generated while the model was taken
    stdout, _ = process.communicate(timeout=300)
    reader.join(timeout=10)
    assert process.returncode == 0, "".join(stderr)
    assert "welcome" in stdout and "Sources" in stdout
    assert "Traceback" not in "".join(stderr)


def test_two_asks_at_once_take_turns_and_answer_alike(sample_settings: Settings) -> None:
    processes = [ask("--json"), ask("--json")]
    results = [process.communicate(timeout=600) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], results
    answers = [json.loads(stdout) for stdout, _ in results]
    assert answers[0]["answer"] == answers[1]["answer"] and not answers[0]["refused"]
    waited = ["waiting for the model" in stderr for _, stderr in results]
    assert waited.count(True) == 1, results  # one ran first; the other waited for it, then ran alone
