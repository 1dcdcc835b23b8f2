"""Two `ask` processes at once with the embedded model: the machine-wide model lock against the alternatives.

    python bench/concurrent_ask.py [--runs 2]

Modes, each with two whole `ask` processes started together on the sample question:
- `lock`: the default; one generation at a time on the machine, the second waits.
- `no_lock`: each process in its own cache directory (so no shared lock), every core each:
  how every version before the lock behaved.
- `threads_divided`: no shared lock, `ASSISTANT_LLM_THREADS` = cores / 2 each.
Also one `ask` alone. Per mode: each process's wall time, the time until both are done
(makespan) and their mean. Prints JSON, headline last.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from measure import BIN, ROOT, emit, run

QUESTION = "What did the US say about Russia and Daesh?"


def together(envs: list[dict[str, str]]) -> dict[str, object]:
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [str(BIN / "ask"), QUESTION],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env in envs
    ]
    seconds, waited = [0.0] * len(processes), []
    pending = dict(enumerate(processes))
    while pending:
        for number, process in list(pending.items()):
            if process.poll() is not None:
                seconds[number] = time.perf_counter() - started
                stdout, stderr = process.communicate()
                if process.returncode != 0:
                    raise RuntimeError(f"ask failed: {stderr[-2000:]}")
                waited.append("waiting for the model" in stderr)
                del pending[number]
        time.sleep(0.05)
    return {
        "seconds": [round(s, 2) for s in seconds],
        "makespan_s": round(max(seconds), 2),
        "mean_s": round(statistics.mean(seconds), 2),
        "waited": waited,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    cache = Path(os.environ.get("ASSISTANT_CACHE_DIR", Path.home() / ".cache" / "assistant")).expanduser()
    half = str(max(1, (os.cpu_count() or 2) // 2))
    with tempfile.TemporaryDirectory() as folder:
        index_dir = Path(folder) / "index"
        shared = {"ASSISTANT_INDEX_DIR": str(index_dir)}
        run([BIN / "assistant", "index", "build", ROOT / "examples" / "articles"], shared)
        run([BIN / "ask", QUESTION], shared)  # the model assembled, the page cache warm
        private = []
        for number in range(2):  # a cache directory each, sharing the assembled model file
            own = Path(folder) / f"cache-{number}"
            own.mkdir()
            (own / "models").symlink_to(cache / "models")
            private.append({**shared, "ASSISTANT_CACHE_DIR": str(own)})
            run([BIN / "ask", QUESTION], private[-1])  # its saved prompt prefix, as the shared cache has
        modes = {
            "lock": [shared, shared],
            "no_lock": private,
            "threads_divided": [{**env, "ASSISTANT_LLM_THREADS": half} for env in private],
        }
        figures: dict[str, object] = {
            "alone_s": [round(run([BIN / "ask", QUESTION], shared)["seconds"], 2) for _ in range(args.runs)]
        }
        for _ in range(args.runs):
            for mode, envs in modes.items():
                figures.setdefault(mode, []).append(together(envs))  # type: ignore[union-attr]
    headline = {"alone_s": statistics.median(figures["alone_s"])}  # type: ignore[arg-type]
    for mode in modes:
        runs = figures[mode]
        headline[f"{mode}_makespan_s"] = statistics.median(r["makespan_s"] for r in runs)  # type: ignore[index]
        headline[f"{mode}_mean_s"] = statistics.median(r["mean_s"] for r in runs)  # type: ignore[index]
    emit("concurrent_ask", figures, headline)


if __name__ == "__main__":
    main()
