"""`ask` with the embedded model on the sample question, next to its physical limit.

    python bench/ask.py [--runs 3]

Whole `ask` processes over the sample index: time to the first answer byte on stdout,
total time and peak RSS; the library's own timings and prompt tokens from `--json`.
The limit: the prompt's tokens divided by the model's prompt-processing rate, measured
here by evaluating that same prompt with llama.cpp directly. Prints JSON, headline last.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from measure import BIN, ROOT, emit, run, summary

QUESTION = "What did the US say about Russia and Daesh?"


def prompt_rate(index_dir: Path) -> dict[str, float]:
    """Tokens per second of prompt processing, on the sample question's own prompt."""
    from assistant.answering.evidence import select_evidence
    from assistant.answering.qa import Assistant, build_messages
    from assistant.settings import load_settings

    settings = load_settings(index_dir=index_dir)
    assistant = Assistant(settings)
    passages = select_evidence(
        QUESTION, assistant.retrieve(QUESTION), assistant.embedder, settings.max_evidence_sentences
    )
    model = assistant.chat_model
    llama = model._llama  # type: ignore[attr-defined]
    messages = build_messages(QUESTION, passages)
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + "<|im_start|>assistant\n"
    tokens = llama.tokenize(text.encode(), add_bos=False, special=True)
    rates = []
    for _ in range(3):
        llama.reset()
        started = time.perf_counter()
        llama.eval(tokens)
        rates.append(len(tokens) / (time.perf_counter() - started))
    return {"prompt_tokens": len(tokens), **{f"tokens_per_s_{k}": v for k, v in summary(rates, 1).items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        index_dir = Path(folder) / "index"
        env = {"ASSISTANT_INDEX_DIR": str(index_dir)}
        run([BIN / "assistant", "index", "build", ROOT / "examples" / "articles"], env)
        run([BIN / "ask", QUESTION], env)  # warm: model file assembled, page cache filled
        text_runs = [run([BIN / "ask", QUESTION], env, first_output=True) for _ in range(args.runs)]
        json_runs = [run([BIN / "ask", QUESTION, "--json"], env) for _ in range(args.runs)]
        answers = [json.loads(r["stdout"]) for r in json_runs]
        rate = prompt_rate(index_dir)
    limit_s = rate["prompt_tokens"] / rate["tokens_per_s_median"]
    figures = {
        "process_first_token_s": summary([r["first_output_s"] for r in text_runs]),
        "process_total_s": summary([r["seconds"] for r in text_runs]),
        "peak_rss_mb": summary([r["peak_rss_mb"] for r in text_runs], 0),
        "library_first_token_s": summary([a["timings"]["first_token_s"] for a in answers]),
        "library_total_s": summary([a["timings"]["total_s"] for a in answers]),
        "library_retrieval_s": summary([a["timings"]["retrieval_s"] for a in answers]),
        "prompt_tokens": answers[0]["prompt_tokens"],
        "prompt_processing": rate,
        "limit_first_token_s": round(limit_s, 2),
        "answer": answers[0]["answer"],
        "cited": bool(answers[0]["citations"]),
    }
    emit(
        "ask",
        figures,
        {
            "first_token_s": figures["process_first_token_s"]["median"],
            "total_s": figures["process_total_s"]["median"],
            "limit_first_token_s": figures["limit_first_token_s"],
            "prompt_tokens": figures["prompt_tokens"],
            "peak_rss_mb": figures["peak_rss_mb"]["median"],
            "cited": figures["cited"],
        },
    )


if __name__ == "__main__":
    main()
