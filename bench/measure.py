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


def run(command: Sequence[str], env: dict[str, str] | None = None, first_output: bool = False) -> dict[str, Any]:
    """Run a whole process: wall seconds, peak RSS (MB), and optionally when stdout first had output."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(part) for part in command],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = None
    if first_output:
        assert process.stdout is not None
        if process.stdout.read(1):
            first = time.perf_counter() - started
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stdout = (process.stdout.read() if process.stdout else b"").decode()
    stderr = (process.stderr.read() if process.stderr else b"").decode()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed: {stderr[-2000:]}")
    return {
        "seconds": wall,
        "first_output_s": first,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "written_bytes": usage.ru_oublock * 512,  # what the process sent to storage (Linux block accounting)
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
