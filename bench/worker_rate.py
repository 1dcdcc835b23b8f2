"""Answers a minute of `assistant serve` with the model in its worker process against in the server's own.

    python bench/worker_rate.py [--rounds 3] [--minutes 5]

The soak of `bench/soak.py` (every kind of client, the queue full) run `--rounds` times in each
mode, the modes alternating (in-process first in odd rounds, the worker first in even ones) so
that a machine busier in one part of the run weighs on both. Prints JSON, headline last (the
ratio of the worker's answers a minute to the in-process ones, over all rounds); writes
bench/results/worker_rate.json.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from measure import BIN, ROOT, emit, run
from soak import soak

MODES = {"in_process": {"ASSISTANT_LLM_WORKER": "false"}, "worker": {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--askers", type=int, default=4)
    parser.add_argument("--queue", type=int, default=3)
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory() as folder:
        env = {"ASSISTANT_INDEX_DIR": str(Path(folder) / "index"), "ASSISTANT_SERVER_QUEUE": str(args.queue)}
        run([BIN / "assistant", "index", "build", ROOT / "examples" / "articles"], env)
        for number in range(args.rounds):
            order = list(MODES) if number % 2 == 0 else list(reversed(MODES))
            rounds.append({mode: soak(args.minutes, args.askers, env | MODES[mode]) for mode in order})
    rates = [{mode: figures["answers_per_minute"] for mode, figures in r.items()} for r in rounds]
    answers = {mode: sum(r[mode]["answers_per_minute"] * r[mode]["wall_s"] / 60 for r in rounds) for mode in MODES}
    minutes = {mode: sum(r[mode]["wall_s"] / 60 for r in rounds) for mode in MODES}
    per_minute = {mode: round(answers[mode] / minutes[mode], 2) for mode in MODES}
    emit(
        "worker_rate",
        {"rounds": rates, "errors": [{m: f["totals"]["errors"] for m, f in r.items()} for r in rounds]},
        {
            "answers_per_minute": per_minute,
            "worker_vs_in_process": round(per_minute["worker"] / per_minute["in_process"], 3),
            "by_round": [round(r["worker"] / r["in_process"], 3) for r in rates],
        },
    )


if __name__ == "__main__":
    main()
