"""The worker process: loads the model once, then answers the parent's calls over a pipe until told to stop.

Messages from the parent: `(method, args)`, or `("exit", ())`. Replies: `("ready", pid)` once
loaded (or `("error", kind, message)` if it cannot be), then per call `("result", value)` or
`("error", kind, message)`; a `stream` sends `("text", piece)` for each piece first, and stops
early if the parent sends `("cancel", ())` meanwhile (its client went away). `begin_turn` and
`end_turn` hold the model's turn (`LocalModel.turn`) across the calls of one answer.
"""

from __future__ import annotations

import importlib
import os
import signal
from contextlib import ExitStack, closing
from multiprocessing.connection import Connection
from typing import Any

from assistant.backends.turns import one_turn
from assistant.errors import AssistantError

CALLS = {"prepare", "count_tokens", "yes_probability", "stream", "token_stats", "reread_token_stats"}


def make_model(factory: str, options: dict[str, Any]) -> Any:
    """`factory` ("package.module:Name") called with `options`."""
    module, _, name = factory.partition(":")
    return getattr(importlib.import_module(module), name)(**options)


def run(conn: Connection, factory: str, options: dict[str, Any]) -> None:
    """The worker's main."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the worker
    try:
        model = make_model(factory, options)
        load = getattr(model, "load", None)
        if load is not None:
            load()
    except Exception as error:
        conn.send(("error", _kind(error), str(error) or type(error).__name__))
        return
    conn.send(("ready", os.getpid()))
    turn = ExitStack()  # the answer's turn at the model, while the parent holds one
    while True:
        try:
            method, args = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if method == "exit":
            return
        if method == "cancel":  # arrived after its stream ended
            continue
        try:
            if method == "begin_turn":
                turn.close()
                turn.enter_context(one_turn(model))
                conn.send(("result", None))
                continue
            if method == "end_turn":
                turn.close()
                conn.send(("result", None))
                continue
            if method not in CALLS:
                raise ValueError(f"unknown call {method!r}")
            if method == "stream":
                _stream(conn, model, args)
                conn.send(("result", None))
            else:  # a call the model lacks (a probe, a warm-up) tells nothing, as in the parent's getattr
                call = getattr(model, method, None)
                conn.send(("result", call(*args) if call is not None else None))
        except (BrokenPipeError, EOFError):
            return
        except Exception as error:
            conn.send(("error", _kind(error), str(error) or type(error).__name__))


def _stream(conn: Connection, model: Any, args: tuple[Any, ...]) -> None:
    with closing(model.stream(*args)) as pieces:  # closing it releases the model's turn at once
        for piece in pieces:
            conn.send(("text", piece))
            if conn.poll() and conn.recv()[0] == "cancel":
                return


def _kind(error: Exception) -> str:
    """The error's class name where the parent can raise it again (ours), else "internal"."""
    return type(error).__name__ if isinstance(error, AssistantError) else "internal"
