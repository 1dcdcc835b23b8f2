"""Models for `assistant.worker` tests, made in the worker process by name (`tests.worker_models:Name`)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

Messages = list[dict[str, str]]
REPLY = "The US said it would welcome Russia's interest in fighting Islamic State [1]."


class Scripted:
    """Streams `REPLY` in pieces, slowly (`delay` seconds a piece); each answer keeps `leak_mb` more memory,
    as llama-cpp-python's generation does (a little)."""

    def __init__(self, delay: float = 0.0, leak_mb: float = 0.0) -> None:
        self.delay, self.leak_mb = delay, leak_mb
        self.kept: list[bytearray] = []
        self.pid = os.getpid()

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        block = bytearray(int(self.leak_mb * 2**20))
        block[::4096] = b"\x01" * len(block[::4096])  # each page written: resident, the process's own
        self.kept.append(block)
        for start in range(0, len(REPLY), 8):
            time.sleep(self.delay)
            yield REPLY[start : start + 8]

    def count_tokens(self, messages: Messages) -> int | None:
        return self.pid  # which worker answered

    def yes_probability(self, messages: Messages) -> float | None:
        return 0.9


class CrashesOnLoad(Scripted):
    """A model file that takes its process down while loading (as a bad GGUF can)."""

    def load(self) -> None:
        os.abort()


class FailsToLoad(Scripted):
    def load(self) -> None:
        from assistant.errors import ModelError

        raise ModelError("cannot load model /models/broken.gguf: not a GGUF file")


class TakesTurns(Scripted):
    """A model that takes turns at a machine-wide lock, as the embedded model does (`LocalModel.turn`)."""

    def __init__(self, lock: str) -> None:
        super().__init__()
        from assistant.backends.chat import LocalModel

        self.local = LocalModel(Path("unused.gguf"), lock_path=Path(lock))  # its turns only: nothing is loaded

    def turn(self) -> AbstractContextManager[None]:
        return self.local.turn()
