"""Run `build_index`, SIGKILLing the process at one chosen point: a real crash, at a known place.

    python tests/kill_at.py MODULE:ATTRIBUTE before|after N build|rebuild|merge [PATH...]

kills the process just before (or after) the Nth call of MODULE.ATTRIBUTE.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

from assistant.ingestion import indexer
from assistant.ingestion.indexer import build_index
from assistant.settings import load_settings


def kill_at(target: str, when: str, nth: int) -> None:
    module_name, _, attribute = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if when == "before" and calls == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if when == "after" and calls == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, wrapper)


if __name__ == "__main__":
    target, when, nth, mode, *paths = sys.argv[1:]
    indexer.EMBED_BATCH_CHUNKS = 8  # many small steps: more places to be killed at
    if mode == "merge":  # a build that merges every segment into one
        indexer.MAX_SEGMENTS = 1
    kill_at(target, when, int(nth))
    build_index([Path(p) for p in paths] or None, load_settings(), rebuild=mode == "rebuild")
    sys.exit(3)  # the kill point was never reached
