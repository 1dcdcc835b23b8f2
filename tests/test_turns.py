"""Turns at the embedded model, machine-wide, in arrival order (`assistant.backends.turns`), with real processes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from subprocess import Popen

from filelock import FileLock

from assistant.backends.chat import LocalModel
from assistant.backends.turns import model_turn

TAKER = Path(__file__).parent / "turn_taker.py"


def take(lock: Path, name: str, log: Path, hold: float = 0.2, turns: int = 1, timeout: str = "none") -> Popen:
    command = [sys.executable, str(TAKER), str(lock), name, str(hold), str(turns), timeout, str(log)]
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True)


def queued(lock: Path, count: int) -> None:
    """Until `count` tickets wait in the lock's queue."""
    deadline = time.monotonic() + 30
    queue = lock.with_name(lock.name + ".queue")
    while len(list(queue.iterdir()) if queue.exists() else []) < count:
        assert time.monotonic() < deadline, "the waiters never queued"
        time.sleep(0.02)


def test_waiters_take_the_model_in_the_order_they_came(tmp_path: Path) -> None:
    lock, log = tmp_path / "llm.lock", tmp_path / "order.log"
    waiters = []
    with FileLock(str(lock)):  # an answer is being generated
        for number in range(5):
            waiters.append(take(lock, f"w{number}", log, hold=0.1))
            queued(lock, number + 1)  # each arrives after the one before
    assert [w.wait(timeout=60) for w in waiters] == [0] * 5
    assert [line for line in log.read_text().split() if line.startswith("turn:")] == [f"turn:w{n}" for n in range(5)]
    assert "waiting for the model" in waiters[4].stderr.read()  # type: ignore[union-attr]


def test_a_long_job_keeps_going_between_asks_and_never_gives_up(tmp_path: Path) -> None:
    lock, log = tmp_path / "llm.lock", tmp_path / "order.log"
    job = take(lock, "job", log, hold=0.3, turns=6)  # an eval: many turns, waits as long as it takes
    time.sleep(0.2)
    asks = []
    for number in range(3):  # asks from another terminal, each giving up after 5 s
        asks.append(take(lock, f"ask{number}", log, hold=0.3, timeout="5"))
        time.sleep(0.35)
    assert job.wait(timeout=60) == 0 and [a.wait(timeout=60) for a in asks] == [0, 0, 0]
    order = log.read_text().split()
    assert order.count("turn:job") == 6 and not any(line.startswith("gave-up") for line in order)
    for number in range(3):  # each ask waited for at most the job's turn under way when it came
        came, went = order.index(f"arrive:ask{number}"), order.index(f"turn:ask{number}")
        assert order[came:went].count("turn:job") <= 1, order


def test_a_waiter_that_died_does_not_hold_up_the_queue(tmp_path: Path) -> None:
    lock = tmp_path / "llm.lock"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    queue = lock.with_name(lock.name + ".queue")
    queue.mkdir()
    stale = queue / f"{0:020d}-{gone.stdout.strip()}-deadbeef"  # older than anyone, of a process now gone
    stale.touch()
    started = time.monotonic()
    with model_turn(lock, timeout=5):
        assert time.monotonic() - started < 1
    assert not stale.exists() and list(queue.iterdir()) == []


def test_a_ticket_nobody_touches_is_stale_even_if_its_process_number_is_alive(tmp_path: Path) -> None:
    import os

    lock = tmp_path / "llm.lock"
    queue = lock.with_name(lock.name + ".queue")
    queue.mkdir()
    reused = queue / f"{0:020d}-{os.getppid()}-deadbeef"  # a live process's number: died, number reused
    reused.touch()
    os.utime(reused, (time.time() - 60, time.time() - 60))
    with model_turn(lock, timeout=5):
        pass
    assert not reused.exists()


def test_an_answer_holds_one_turn_for_all_its_calls(tmp_path: Path) -> None:
    lock, log = tmp_path / "llm.lock", tmp_path / "order.log"
    model = LocalModel(Path("unused.gguf"), lock_path=lock)  # its turns only: nothing is loaded
    with model.turn():  # an answer: its probe, its reply, its reading
        other = take(lock, "other", log)
        queued(lock, 1)
        for _ in range(3):
            with model.turn():  # each call of the answer: no new turn, no wait behind the other
                time.sleep(0.1)
        assert "turn:other" not in log.read_text()
    assert other.wait(timeout=30) == 0 and "turn:other" in log.read_text()
