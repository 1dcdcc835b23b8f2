"""What rating an answer's confidence adds to its time, with the embedded model, in one process.

    python bench/confidence.py [--rounds 3]

The sample index; each question asked with confidence off and on, alternately, the
model's cache emptied before each ask so every prompt is processed afresh (as a new
question is). Added time = total with it - total without it; the signals' own time
(`timings.signals_s`) is the probes' and checks' share of it. The limit to compare with:
the probe's ~20-30 tokens, which the answer does not need, at the measured prompt rate.
Prints JSON, headline last.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from measure import ROOT, emit

QUESTIONS = [
    "What did the US say about Russia and Daesh?",
    "Where did the new Turkey-Russia committees first meet?",
    "How many Syrians is Turkey sheltering?",
    "What did China say about the siege of Aleppo?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from assistant.answering.qa import Assistant
    from assistant.ingestion.indexer import build_index
    from assistant.settings import load_settings

    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(index_dir=Path(folder) / "index")
        build_index([ROOT / "examples" / "articles"], settings)
        rated = Assistant(settings)
        plain = Assistant(settings.model_copy(update={"confidence": False}), rated.embedder, rated.chat_model)
        llama = rated.chat_model._llama  # type: ignore[attr-defined]
        rated.ask(QUESTIONS[0])  # warm: model loaded, system turn's state saved
        added, signals, totals, same, early = [], [], [], 0, 0
        for _ in range(args.rounds):
            for question in QUESTIONS:
                llama.reset()
                without = plain.ask(question)
                llama.reset()
                with_it = rated.ask(question)
                if "generation_s" not in with_it.timings:  # refused before answering: nothing to compare
                    early += 1
                    continue
                same += with_it.answer == without.answer
                added.append(with_it.timings["total_s"] - without.timings["total_s"])
                signals.append(with_it.timings["signals_s"])
                totals.append(without.timings["total_s"])
    figures = {
        "asks": len(added) + early,
        "refused_before_answering": early,
        "answers_identical": same,
        "total_without_s_median": round(statistics.median(totals), 2),
        "signals_s_max": round(max(signals), 2),
        "added_s_max": round(max(added), 2),
    }
    headline = {
        "added_s_median": round(statistics.median(added), 2),
        "signals_s_median": round(statistics.median(signals), 2),
        "target_added_s": 0.7,
    }
    emit("confidence", figures, headline)


if __name__ == "__main__":
    main()
