"""`WorkerModel`: a chat model that lives in a child process, recycled before it grows and restarted when it dies.

llama-cpp-python's generation keeps a little memory after every answer (about 0.6 MB, never given
back), and an abort inside llama.cpp takes its process with it. So the long-running edges keep
the model in a worker process (`child.run`) and this object in their own: it forwards the chat
model's calls over a pipe, and
- after `max_answers` answers, or once the worker's anonymous memory has grown by `max_growth_mb`
  since its first answer (which allocates what every answer uses), retires it between two answers
  and starts the next one at once;
- when the worker dies mid-call, raises `ModelCrashed` (retry in a few seconds) for that call only
  and starts a new worker for the next;
- when a worker cannot load the model (a broken file, a crash while loading), says why to every
  call (`ModelError`) and tries again only after `retry_after` seconds, doubling while it fails.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from typing import Any

from assistant import errors
from assistant.errors import AssistantError, BackendError, ModelError
from assistant.worker.child import run as worker_main

log = logging.getLogger("assistant.worker")
Messages = list[dict[str, str]]
RESTART_RETRY_S = 5  # what a client whose answer died with its worker is told to wait


class ModelCrashed(BackendError):
    """The worker died during this call; a new one is starting."""

    def __init__(self, message: str, retry_after: int = RESTART_RETRY_S) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelUnavailable(ModelError):
    """No worker could load the model; the next try is in `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class WorkerState:
    """What `/healthz` shows of the model's worker."""

    state: str = "stopped"  # stopped, loading, ready, broken
    pid: int | None = None
    answers: int = 0  # streamed by every worker since start
    answers_by_worker: int = 0  # by the current one
    recycles: int = 0
    crashes: int = 0
    rss_mb: float | None = None  # the current worker's resident memory
    growth_mb: float | None = None  # of its anonymous memory since its first answer
    last_start_s: float | None = None  # from spawn to ready
    reason: str | None = None  # why it is broken
    last_crash: str | None = None  # why the last worker that died did


class WorkerModel:
    """The `ChatModel` (and local model) calls of `factory(**options)`, run in a worker process."""

    def __init__(
        self,
        factory: str,
        options: dict[str, Any],
        model_id: str,
        max_answers: int = 200,
        max_growth_mb: float = 32.0,
        load_timeout: float = 300.0,
        retry_after: float = 10.0,
    ) -> None:
        self.factory, self.options, self.model_id = factory, options, model_id
        self.max_answers, self.max_growth_mb = max_answers, max_growth_mb
        self.load_timeout, self.retry_after = load_timeout, retry_after
        self.status = WorkerState()
        self._context = multiprocessing.get_context("spawn")  # no copy of the parent's threads or locks
        self._process: Any = None
        self._conn: Connection | None = None
        self._baseline_anon: int | None = None
        self._started_at = 0.0
        self._broken_until = 0.0
        self._failures = 0
        self._waited_s = 0.0
        self._closed = False
        self._in_turn = False
        self._recycle_due = False
        self._lock = threading.RLock()  # one call at a time on the pipe

    # -- the chat model's calls --------------------------------------------------------------

    def prepare(self, messages: Messages) -> None:
        self._call("prepare", messages)

    def count_tokens(self, messages: Messages) -> int | None:
        return self._call("count_tokens", messages)

    def yes_probability(self, messages: Messages) -> float | None:
        return self._call("yes_probability", messages)

    def token_stats(self) -> dict[str, float] | None:
        return self._call("token_stats")

    def reread_token_stats(self, messages: Messages, text: str) -> dict[str, float] | None:
        return self._call("reread_token_stats", messages, text)

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        """The answer's pieces as the worker writes them; closing early cancels the rest."""
        with self._lock:
            conn = self._ready()
            finished = False
            try:
                conn.send(("stream", (messages, max_tokens)))
                while True:
                    kind, *value = self._receive(conn)
                    if kind == "text":
                        yield value[0]
                        continue
                    finished = True
                    _raise_if_error(kind, value)
                    break
            finally:
                if not finished and self._conn is conn:  # closed early: stop it, and wait for its end
                    self._cancel(conn)
                self._answered()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """One turn at the model for the calls of an answer (`LocalModel.turn`, held in the worker). A worker
        due for recycling goes when the turn ends, so the answer's last calls reach the worker that wrote it."""
        with self._lock:
            if self._in_turn:
                yield
                return
            conn = self._ready()
            conn.send(("begin_turn", ()))
            kind, *value = self._receive(conn)
            _raise_if_error(kind, value)
            self._in_turn = True
            try:
                yield
            finally:
                self._in_turn = False
                if self._conn is conn:
                    try:
                        conn.send(("end_turn", ()))
                        self._receive(conn)
                    except (AssistantError, OSError):
                        pass  # it died after the answer: counted, and a new one is starting
                if self._recycle_due:
                    self._recycle()

    def pop_timings(self) -> dict[str, float]:
        """Seconds the calls since the last `pop_timings` waited for a worker to start (if any did)."""
        waited, self._waited_s = self._waited_s, 0.0
        return {"model_start_s": round(waited, 3)} if waited > 0 else {}

    def health(self) -> dict[str, Any]:
        """The worker's state, answers, recycles, crashes and memory (read without waiting for an answer to end)."""
        self._measure()
        return asdict(self.status)

    def close(self) -> None:
        """Stop the worker now, even mid-answer (a server does at shutdown); no other is started."""
        self._closed = True
        process = self._process
        if process is not None:
            process.kill()  # a call under way ends with the pipe; the lock is not waited for
        with self._lock:
            self._retire()
            self.status.state = "stopped"

    # -- the worker's life -------------------------------------------------------------------

    def _call(self, method: str, *args: Any) -> Any:
        with self._lock:
            conn = self._ready()
            conn.send((method, args))
            kind, *value = self._receive(conn)
            _raise_if_error(kind, value)
            return value[0]

    def _ready(self) -> Connection:
        """The pipe of a worker that has loaded the model: the running one, or one started now."""
        if self._conn is not None and self.status.state == "ready":
            if self._process is not None and self._process.is_alive():
                return self._conn
            self._died_idle()
        if self._closed:
            raise ModelError("the model was stopped: the server is shutting down")
        now = time.monotonic()
        if now < self._broken_until:
            wait = self._broken_until - now
            raise ModelUnavailable(f"{self.status.reason} (trying again in {wait:.0f} s)", max(1, round(wait)))
        if self._process is None:
            self._spawn()
        waited = time.perf_counter()
        assert self._conn is not None
        try:
            if not self._conn.poll(self.load_timeout):
                raise ModelError(f"the model's worker did not load the model in {self.load_timeout:g} s")
            kind, *value = self._conn.recv()
            if kind != "ready":
                raise _error(value[0], value[1]) if kind == "error" else ModelError(f"unexpected {kind!r}")
        except (EOFError, OSError):
            self._broken(f"the model's worker died while loading the model ({self._exit_reason()})")
        except AssistantError as error:
            self._broken(str(error))
        self._waited_s += time.perf_counter() - waited
        self.status.state, self.status.reason = "ready", None
        self.status.last_start_s = round(time.monotonic() - self._started_at, 3)
        self._failures = 0
        self._baseline_anon = None  # read after its first answer: the first prompt allocates what every one uses
        log.info("the model's worker %s is ready in %.1f s", self._process.pid, self.status.last_start_s)
        return self._conn

    def _died_idle(self) -> None:
        """A worker that died between calls (the out-of-memory killer, a signal): no answer was under way,
        so a new one is started for this call."""
        self.status.crashes += 1
        self.status.last_crash = f"the model's worker died between answers ({self._exit_reason()})"
        log.error("%s: starting a new one", self.status.last_crash)
        self._retire()

    def _spawn(self) -> None:
        parent, child_end = self._context.Pipe()
        process = self._context.Process(
            target=worker_main, args=(child_end, self.factory, self.options), name="assistant-model", daemon=True
        )
        self._started_at = time.monotonic()
        process.start()
        child_end.close()  # only the worker holds it now: its death is our EOF
        self._process, self._conn = process, parent
        self.status.state, self.status.pid, self.status.answers_by_worker = "loading", process.pid, 0

    def _broken(self, reason: str) -> None:
        """A worker that could not load the model: say why, and wait before trying again."""
        self._retire()
        self._failures += 1
        wait = min(self.retry_after * 2 ** (self._failures - 1), 300.0)
        self._broken_until = time.monotonic() + wait
        self.status.state, self.status.reason = "broken", reason
        log.error("%s", reason)
        raise ModelUnavailable(reason, round(wait))

    def _receive(self, conn: Connection) -> tuple[Any, ...]:
        """The worker's next message; its death mid-call is `ModelCrashed`, and the next worker is started."""
        try:
            return conn.recv()
        except (EOFError, OSError):
            if self._closed:
                raise ModelError("the model was stopped: the server is shutting down") from None
            reason = self._exit_reason()
            self.status.crashes += 1
            self.status.last_crash = f"the model's worker died mid-answer ({reason})"
            log.error("%s: starting a new one", self.status.last_crash)
            self._retire()
            self._spawn()
            raise ModelCrashed(f"{self.status.last_crash}; it is restarting: ask again in a few seconds") from None
        except BaseException:  # Ctrl-C in the middle of a message: the pipe cannot be trusted, so a new worker
            self._retire()
            self._spawn()
            raise

    def _cancel(self, conn: Connection) -> None:
        """Tell the worker to stop streaming, and read up to the end of its answer."""
        try:
            conn.send(("cancel", ()))
            while self._receive(conn)[0] == "text":
                pass
        except (AssistantError, OSError):
            pass  # it died meanwhile: a new one is starting

    def _answered(self) -> None:
        """After an answer: the worker is retired if it has served its answers or grown too much."""
        if self.status.state != "ready":
            return
        self.status.answers += 1
        self.status.answers_by_worker += 1
        if self._baseline_anon is None and self._process is not None:
            memory = _memory(self._process.pid)
            self._baseline_anon = memory[1] if memory else None
        self._measure()
        grown = self.status.growth_mb or 0.0
        if self.status.answers_by_worker >= self.max_answers or grown >= self.max_growth_mb:
            if self._in_turn:
                self._recycle_due = True  # after the answer's last calls
            else:
                self._recycle()

    def _recycle(self) -> None:
        log.info(
            "recycling the model's worker after %d answers (+%.1f MB)",
            self.status.answers_by_worker,
            self.status.growth_mb or 0.0,
        )
        self.status.recycles += 1
        self._retire()
        self._spawn()  # loads while the parent checks this answer and retrieves the next

    def _retire(self) -> None:
        """Stop the current worker (asked first, killed if it does not go)."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        self._recycle_due = False
        self.status.pid, self.status.rss_mb, self.status.growth_mb = None, None, None
        if process is None:
            return
        try:
            assert conn is not None
            conn.send(("exit", ()))
        except (OSError, AssertionError):
            pass
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)
        if conn is not None:
            conn.close()

    def _exit_reason(self) -> str:
        process = self._process
        if process is None:
            return "gone"
        process.join(timeout=5)
        code = process.exitcode
        if code is None:
            return "not answering"
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}"

    def _measure(self) -> None:
        process = self._process
        if process is None or self.status.state != "ready":
            return
        memory = _memory(process.pid)
        if memory is None:  # gone meanwhile: the next call will say so
            return
        rss, anonymous = memory
        self.status.rss_mb = round(rss / 2**20, 1)
        if self._baseline_anon is not None:
            self.status.growth_mb = round((anonymous - self._baseline_anon) / 2**20, 1)


def _memory(pid: int) -> tuple[int, int] | None:
    """A process's resident memory, and the part of it no file backs (the model's weights are mapped from
    its file, and the kernel may drop and re-read those pages: only the rest is the process's own)."""
    import psutil

    try:
        memory = psutil.Process(pid).memory_info()
    except psutil.Error:
        return None
    return int(memory.rss), int(memory.rss - getattr(memory, "shared", 0))


def _error(kind: str, message: str) -> Exception:
    """The worker's error as the parent raises it: ours by name, any other as a `BackendError`."""
    found = getattr(errors, kind, None)
    if isinstance(found, type) and issubclass(found, AssistantError):
        return found(message)
    return BackendError(f"the model failed: {message}")


def _raise_if_error(kind: str, value: list[Any]) -> None:
    if kind == "error":
        raise _error(value[0], value[1])
