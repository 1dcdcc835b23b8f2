"""Turns at the embedded model's cores, machine-wide, served in arrival order.

A file lock alone is not fair: whoever polls first when it is released takes it, so a long job
that releases it between questions (an `assistant eval`) can be passed again and again by later
asks until it times out. Here each waiter leaves a ticket in a folder beside the lock, a file
named by its arrival time and process, and only the oldest ticket of a live process may take the
lock: the others wait behind it. A waiter touches its ticket every second; a ticket whose process
is gone, or untouched for `STALE_S` (its process died and its number was reused, or it lives in
another PID namespace), is removed by the next waiter. A process that dies holding the lock
releases it with its process.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from assistant.errors import BackendError

log = logging.getLogger("assistant.backends.chat")
POLL_S = 0.05
STALE_S = 10.0


@contextmanager
def model_turn(lock_path: Path, timeout: float | None) -> Iterator[None]:
    """Hold the machine-wide model lock at `lock_path`, after everyone who asked for it before; give up with
    a `BackendError` after `timeout` seconds of waiting (None: wait as long as it takes)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path), thread_local=False)
    queue = lock_path.with_name(lock_path.name + ".queue")
    queue.mkdir(exist_ok=True)
    ticket = queue / f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    ticket.touch()
    started = touched = time.perf_counter()
    said = False
    try:
        while True:
            if time.perf_counter() - touched > 1:
                ticket.touch()  # still waiting
                touched = time.perf_counter()
            if _first(queue) == ticket.name:
                try:
                    lock.acquire(timeout=POLL_S)
                    break
                except Timeout:
                    pass
            else:
                time.sleep(POLL_S)
            waited = time.perf_counter() - started
            if not said and waited > 0.2:
                log.warning("waiting for the model: another answer is being generated on this machine")
                said = True
            if timeout is not None and waited > timeout:
                raise BackendError(
                    f"the embedded model was busy with another answer for {timeout:g} s "
                    "(ASSISTANT_LLM_TIMEOUT); try again when it is done"
                )
    finally:
        ticket.unlink(missing_ok=True)  # taken or given up: the next in line is first now
    if said:
        log.info("the model is free after %.1f s", time.perf_counter() - started)
    try:
        yield
    finally:
        lock.release()


def one_turn(model: object) -> AbstractContextManager[Any]:
    """One turn at `model` for all the calls of an answer, where it takes turns (a local model):
    another process's answer does not slip in between this one's probe and its reply."""
    turn = getattr(model, "turn", None)
    return turn() if turn is not None else nullcontext()


def _first(queue: Path) -> str | None:
    """The oldest ticket of a live waiter (stale tickets are removed on the way)."""
    now = time.time()
    for entry in sorted(os.scandir(queue), key=lambda entry: entry.name):
        try:
            if now - entry.stat().st_mtime > STALE_S:
                raise ProcessLookupError
            os.kill(int(entry.name.split("-")[1]), 0)
        except (ProcessLookupError, FileNotFoundError):
            Path(entry.path).unlink(missing_ok=True)
            continue
        except (ValueError, IndexError):  # not a ticket
            continue
        except PermissionError:  # alive, another user's
            pass
        return entry.name
    return None
