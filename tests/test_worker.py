"""The embedded model in a worker process (`assistant.worker`): recycled before it grows, isolated when it dies.

Scripted models (`worker_models.py`) run in real worker processes for the supervisor's rules; the real
`assistant serve` runs with a broken model file, and (marked llm) with the real embedded model whose
worker is killed mid-answer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import DAESH
from test_reading_room import assistant_serve
from test_server import Server
from test_turns import queued, take
from worker_models import REPLY

from assistant.server.client import server_sent_events
from assistant.settings import Settings
from assistant.worker import ModelCrashed, ModelUnavailable, WorkerModel

HERE = Path(__file__).parent


@pytest.fixture(autouse=True)
def importable_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker process finds `worker_models` as the tests do (spawn passes on `sys.path`)."""
    monkeypatch.syspath_prepend(str(HERE))


def scripted(name: str = "Scripted", **options: float) -> WorkerModel:
    return WorkerModel(f"worker_models:{name}", dict(options), "scripted", retry_after=1.0)


@pytest.fixture
def closing() -> Iterator[list[WorkerModel]]:
    models: list[WorkerModel] = []
    yield models
    for model in models:
        model.close()


def test_a_worker_that_grows_is_recycled_between_answers_and_no_answer_is_lost(closing: list[WorkerModel]) -> None:
    model = scripted(leak_mb=5)
    model.max_growth_mb = 12  # grown by 15 MB at its fourth answer (counted from after its first), 10 at its third
    closing.append(model)
    answers, workers = [], []
    for _ in range(9):
        workers.append(model.count_tokens([]))  # the scripted model says which process it is
        answers.append("".join(model.stream([], 64)))
    health = model.health()
    assert answers == [REPLY] * 9  # each whole, none twice
    assert health["answers"] == 9 and health["recycles"] == 2 and health["crashes"] == 0
    assert [workers.count(w) for w in dict.fromkeys(workers)] == [4, 4, 1]
    assert health["growth_mb"] == 0 and health["state"] == "ready"


def test_a_worker_is_recycled_after_its_answers_and_the_load_time_is_reported(closing: list[WorkerModel]) -> None:
    model = scripted()
    model.max_answers = 2
    closing.append(model)
    first = "".join(model.stream([], 64))
    assert "model_start_s" in model.pop_timings()  # the first call waited for the model to load
    second = "".join(model.stream([], 64))
    assert model.pop_timings() == {}  # the same worker
    third = "".join(model.stream([], 64))  # a fresh worker, started after the second answer
    assert model.pop_timings()["model_start_s"] >= 0 and first == second == third == REPLY
    assert model.health()["recycles"] == 1


def test_a_worker_killed_mid_answer_fails_that_answer_only(closing: list[WorkerModel]) -> None:
    model = scripted(delay=0.05)
    closing.append(model)
    pieces = model.stream([], 64)
    assert next(pieces) == REPLY[:8]
    killed = model.status.pid
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    with pytest.raises(ModelCrashed, match="killed by SIGKILL.*ask again") as crashed:
        list(pieces)
    assert crashed.value.retry_after >= 1
    assert "".join(model.stream([], 64)) == REPLY  # the next question is answered, by a new worker
    assert model.status.pid != killed and model.health()["crashes"] == 1


def test_a_worker_that_died_between_answers_is_replaced_for_the_next_one(closing: list[WorkerModel]) -> None:
    model = scripted()
    closing.append(model)
    first = model.count_tokens([])
    assert first is not None
    os.kill(first, signal.SIGKILL)  # the out-of-memory killer, between two questions
    time.sleep(0.5)
    assert "".join(model.stream([], 64)) == REPLY  # no answer was under way: nothing to fail
    assert model.count_tokens([]) != first and model.health()["crashes"] == 1
    assert "between answers (killed by SIGKILL)" in model.health()["last_crash"]


def test_an_answer_in_one_turn_reads_its_worker_and_the_recycling_waits_for_its_end(
    closing: list[WorkerModel], tmp_path: Path
) -> None:
    lock, log = tmp_path / "llm.lock", tmp_path / "order.log"
    model = WorkerModel("worker_models:TakesTurns", {"lock": str(lock)}, "scripted")
    model.max_answers = 1
    closing.append(model)
    with model.turn():  # the worker holds the machine-wide turn across the answer's calls
        other = take(lock, "other", log)
        queued(lock, 1)
        writer = model.count_tokens([])
        assert "".join(model.stream([], 64)) == REPLY  # its last answer: due for recycling
        assert model.count_tokens([]) == writer  # the answer's last calls reach the worker that wrote it
        assert "turn:other" not in log.read_text()
    assert other.wait(timeout=30) == 0
    assert model.health()["recycles"] == 1 and model.count_tokens([]) != writer


def test_a_client_that_leaves_cancels_the_rest_and_the_next_answer_is_whole(closing: list[WorkerModel]) -> None:
    model = scripted(delay=0.2)  # 10 pieces: 2 s to the end
    closing.append(model)
    pieces = model.stream([], 64)
    next(pieces)
    started = time.monotonic()
    pieces.close()
    assert time.monotonic() - started < 1.0  # stopped at the next piece, not written to the end
    assert "".join(model.stream([], 64)) == REPLY


def test_a_server_whose_worker_is_recycled_under_load_answers_every_question_once(
    sample_settings: Settings, local_embedder, closing: list[WorkerModel]
) -> None:
    model = scripted(leak_mb=5, delay=0.02)
    model.max_growth_mb = 12  # a new worker every fourth answer
    closing.append(model)
    results: list[tuple[int, str]] = []

    def ask() -> None:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            response = http.post("/v1/ask", json={"question": DAESH})
            results.append((response.status_code, response.json().get("answer", "")))

    with Server(sample_settings, model, local_embedder) as server:  # type: ignore[arg-type]
        clients = [threading.Thread(target=ask) for _ in range(8)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(120)
        with httpx.Client(base_url=server.url) as http:
            health = http.get("/healthz").json()["model"]
    assert [status for status, _ in results] == [200] * 8
    assert len({answer for _, answer in results}) == 1  # each whole: the scripted reply, its citation checked
    assert results[0][1].startswith("The US said it would welcome Russia's interest in fighting Islamic State [")
    assert health["answers"] == 8 and health["recycles"] == 2 and health["crashes"] == 0


def test_a_model_that_crashes_while_loading_is_reported_and_tried_again_later(closing: list[WorkerModel]) -> None:
    model = scripted("CrashesOnLoad")
    closing.append(model)
    with pytest.raises(ModelUnavailable, match="died while loading the model \\(killed by SIGABRT\\)"):
        model.count_tokens([])
    with pytest.raises(ModelUnavailable, match="trying again in"):  # not a new crash per question
        model.count_tokens([])
    assert model.health()["state"] == "broken" and "SIGABRT" in model.health()["reason"]
    time.sleep(1.1)
    with pytest.raises(ModelUnavailable, match="killed by SIGABRT"):  # tried again once the wait is over
        model.count_tokens([])


def test_a_broken_model_file_leaves_search_and_the_page_working_and_says_why(
    sample_index_dir: Path, tmp_path: Path
) -> None:
    shutil.copytree(sample_index_dir, tmp_path / "index")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + os.urandom(4096))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "ASSISTANT_LLM_MODEL": str(broken)}
    with assistant_serve(tmp_path, env) as (url, log), httpx.Client(base_url=url, timeout=60) as http:
        found = http.post("/v1/search", json={"query": DAESH})
        asked = http.post("/v1/ask", json={"question": DAESH})
        page = http.get("/")
        health = http.get("/healthz").json()
    assert found.status_code == 200 and any("Russia" in p["chunk"]["text"] for p in found.json())
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert asked.status_code == 503 and int(asked.headers["retry-after"]) >= 1
    assert f"cannot load model {broken}" in asked.json()["detail"]
    assert health["ok"] and health["model"]["state"] == "broken" and str(broken) in health["model"]["reason"]
    assert "Traceback" not in log.read_text() and "cannot load model" in log.read_text()


@pytest.mark.llm
def test_the_real_server_survives_its_model_killed_mid_answer(sample_index_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(sample_index_dir, tmp_path / "index")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    with assistant_serve(tmp_path, env) as (url, log), httpx.Client(base_url=url, timeout=600) as http:
        worker = http.get("/healthz").json()["model"]
        assert worker["state"] == "ready" and worker["pid"] != os.getpid()
        events = []
        with http.stream("POST", "/v1/ask", json={"question": DAESH, "stream": True}) as response:
            for name, data in server_sent_events(response.iter_lines()):
                events.append((name, data))
                if name == "text" and len(events) == 1:
                    os.kill(worker["pid"], signal.SIGKILL)
        assert events[0][0] == "text" and events[-1][0] == "error"
        assert "died mid-answer (killed by SIGKILL)" in json.dumps(events[-1][1])
        answer = http.post("/v1/ask", json={"question": DAESH})
        health = http.get("/healthz").json()["model"]
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert not body["refused"] and any("State Department" in c["quote"] for c in body["citations"])
    assert body["timings"]["model_start_s"] > 0  # it waited for the new worker's model to load
    assert health["crashes"] == 1 and health["pid"] != worker["pid"] and health["state"] == "ready"
    assert "Traceback" not in log.read_text()


@pytest.mark.llm
def test_chat_answers_through_its_worker_and_exits_cleanly(sample_index_dir: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    shutil.copytree(sample_index_dir, tmp_path / "index")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "chat"],
        input=f"{DAESH}\n/quit\n",
        env=env | {"COLUMNS": "400"},
        capture_output=True,
        text=True,
        timeout=600,  # a worker left running would keep it from exiting
    )
    assert done.returncode == 0, done.stderr
    assert "welcome" in done.stdout and "State Department" in done.stdout
    assert "Traceback" not in done.stderr
