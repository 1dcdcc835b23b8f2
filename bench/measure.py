"""Helpers shared by the benchmarks: timed whole processes, peak memory, medians."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "eval" / "multihop-rag"
BIN = Path(sys.executable).parent


def summary(values: Sequence[float], digits: int = 3) -> dict[str, Any]:
    """Median, min and max of repeated measurements."""
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": len(values),
    }


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# Runs the command in a grandchild and reports its rusage: a child forked from a big process inherits
# that process's peak RSS as its own ru_maxrss (Linux keeps the hiwater mark across fork and exec).
_LAUNCHER = """
import os, sys, time
started = time.time()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_maxrss} {usage.ru_oublock} {started} {time.time() - started}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run(command: Sequence[str], env: dict[str, str] | None = None, first_output: bool = False) -> dict[str, Any]:
    """Run a whole process: wall seconds, peak RSS (MB), bytes it wrote to storage, and optionally when
    stdout first had output."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".rusage") as usage_file:
        process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, usage_file.name, *(str(part) for part in command)],
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        first, head = None, b""
        if first_output:
            assert process.stdout is not None
            if head := process.stdout.read(1):
                first = time.time()
        stdout_bytes, stderr_bytes = process.communicate()
        stdout_bytes = head + stdout_bytes
        maxrss, blocks, forked, wall = Path(usage_file.name).read_text().split()  # timed from the fork
        maxrss_kb, blocks = int(maxrss), int(blocks)
        wall = float(wall)
        first = None if first is None else first - float(forked)
    stdout, stderr = stdout_bytes.decode(), stderr_bytes.decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed: {stderr[-2000:]}")
    return {
        "seconds": wall,
        "first_output_s": first,
        "peak_rss_mb": maxrss_kb / 1024,
        "written_bytes": blocks * 512,  # what the process sent to storage (Linux block accounting)
        "stdout": stdout,
        "stderr": stderr,
    }


def repeat(times: int, measure: Callable[[], float]) -> list[float]:
    return [measure() for _ in range(times)]


def emit(name: str, figures: dict[str, Any], headline: dict[str, Any]) -> None:
    """Print the benchmark's figures as JSON, the headline last."""
    print(json.dumps({"benchmark": name, **figures, "headline": headline}, indent=1))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps({"benchmark": name, **figures, "headline": headline}, indent=1))
