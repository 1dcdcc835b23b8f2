"""`assistant serve` with the embedded model: warm time to first token against its limit, and load.

    python bench/serve.py [--runs 3] [--clients 8] [--questions 3]

Over the sample index, on 127.0.0.1:
- warm: `/v1/ask` streamed, one question at a time, each new to the server: time to the first
  text event at the client, the server's own first-token time, next to the limit (the prompt's
  tokens divided by the model's prompt rate, measured in this run as bench/ask.py does) and a
  cold `ask` process;
- load: `--clients` clients asking `--questions` questions each at once, while one more client
  walks away mid-answer and another sends malformed bodies: every request answered or
  turned away with 503 (none lost, none hung), p50/p95 latency, queue wait, the server's peak RSS.
Prints JSON, headline last.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx
from ask import prompt_rate
from measure import BIN, ROOT, emit, percentile, run, summary

from assistant.server.client import server_sent_events

QUESTIONS = [
    "What did the US say about Russia and Daesh?",
    "How many Syrians is Turkey sheltering?",
    "What did the UN spokesman welcome?",
    "Which countries pulled their Patriot missile batteries out of Turkey?",
]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    """Until the server at `url` answers its health check (an error if it exits first)."""
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)
            return
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"assistant serve exited with code {server.returncode}") from None
            time.sleep(0.2)


def streamed(url: str, question: str, walk_away: bool = False) -> dict[str, Any]:
    """One streamed question: status, client-side first text and total seconds, the server's answer."""
    started = time.perf_counter()
    result: dict[str, Any] = {"status": None}
    with httpx.Client(base_url=url, timeout=600) as http:
        with http.stream("POST", "/v1/ask", json={"question": question, "stream": True}) as response:
            result["status"] = response.status_code
            if response.status_code != 200:
                response.read()
                return result | {"seconds": time.perf_counter() - started}
            for event, data in server_sent_events(response.iter_lines()):
                if event == "text" and "first_text_s" not in result:
                    result["first_text_s"] = time.perf_counter() - started
                    if walk_away:
                        return result | {"walked_away": True}
                elif event in ("done", "error"):
                    result["answer" if event == "done" else "error"] = data
    return result | {"seconds": time.perf_counter() - started}


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(url: str, clients: int, questions: int) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        for turn in range(questions):
            outcome = streamed(url, QUESTIONS[(number + turn) % len(QUESTIONS)])
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(1)
    walked = streamed(url, QUESTIONS[0], walk_away=True)  # admitted, then gone at its first text
    with httpx.Client(base_url=url) as http:
        malformed = [
            http.post("/v1/ask", content=b"{broken", headers={"content-type": "application/json"}).status_code,
            http.post("/v1/ask", json={"question": ""}).status_code,
            http.post("/v1/ask", json={"question": QUESTIONS[0], "top_k": "many"}).status_code,
        ]
    for thread in threads:
        thread.join(timeout=1800)
    wall = time.perf_counter() - started
    answered = [r for r in results if r["status"] == 200 and "answer" in r]
    busy = [r for r in results if r["status"] == 503]
    latencies = [r["seconds"] for r in answered]
    waits = [r["answer"]["timings"]["queue_s"] for r in answered]
    return {
        "requests": len(results),
        "expected": clients * questions,
        "answered": len(answered),
        "turned_away_503": len(busy),
        "lost_or_failed": len(results) - len(answered) - len(busy) + (clients * questions - len(results)),
        "hung_threads": sum(t.is_alive() for t in threads),
        "latency_s": {"p50": round(percentile(latencies, 0.5), 2), "p95": round(percentile(latencies, 0.95), 2)},
        "queue_wait_s": {"p50": round(percentile(waits, 0.5), 2), "p95": round(percentile(waits, 0.95), 2)},
        "answers_per_minute": round(60 * len(answered) / wall, 2),
        "wall_s": round(wall, 1),
        "walked_away_at_first_text": bool(walked.get("walked_away")),
        "malformed_statuses": malformed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, choices=[1, 2, 3])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--questions", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        index_dir = Path(folder) / "index"
        env = {"ASSISTANT_INDEX_DIR": str(index_dir)}
        run([BIN / "assistant", "index", "build", ROOT / "examples" / "articles"], env)
        cold = [run([BIN / "ask", QUESTIONS[0]], env, first_output=True) for _ in range(2)]
        rate = prompt_rate(index_dir)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(BIN / "assistant"), "serve", "--port", str(port)],
            env={**os.environ, **env},
            stderr=subprocess.DEVNULL,
        )
        try:
            started = time.perf_counter()
            wait_until_up(url, server)
            startup_s = time.perf_counter() - started
            streamed(url, QUESTIONS[0])  # the first answer after start-up
            # each warm run a question not asked before: llama.cpp reuses the state of an identical prompt
            warm = [streamed(url, question) for question in QUESTIONS[1 : 1 + args.runs]]
            loaded = load(url, args.clients, args.questions)
            after = streamed(url, QUESTIONS[0])
            rss = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    limit_s = rate["prompt_tokens"] / rate["tokens_per_s_median"]
    warm_first = summary([r["first_text_s"] for r in warm])
    server_first = summary([r["answer"]["timings"]["first_token_s"] for r in warm])
    # each run against its own prompt's limit: its prompt tokens at the measured rate
    over_limit = [
        r["answer"]["timings"]["first_token_s"] / (r["answer"]["prompt_tokens"] / rate["tokens_per_s_median"])
        for r in warm
    ]
    figures = {
        "startup_s": round(startup_s, 2),
        "warm_first_text_s": warm_first,
        "warm_server_first_token_s": server_first,
        "warm_total_s": summary([r["seconds"] for r in warm]),
        "warm_prompt_tokens": [r["answer"]["prompt_tokens"] for r in warm],
        "prompt_processing": rate,
        "limit_first_token_s": round(limit_s, 2),
        "warm_first_token_over_limit": summary(over_limit, 2),
        "cold_ask_first_output_s": summary([r["first_output_s"] for r in cold]),
        "load": loaded,
        "answered_after_load": "answer" in after,
        "server_peak_rss_mb": round(rss),
    }
    emit(
        "serve",
        figures,
        {
            "warm_first_token_s": server_first["median"],
            "limit_first_token_s": figures["limit_first_token_s"],
            "over_limit": figures["warm_first_token_over_limit"]["median"],
            "cold_ask_first_output_s": figures["cold_ask_first_output_s"]["median"],
            "load_p50_s": loaded["latency_s"]["p50"],
            "load_p95_s": loaded["latency_s"]["p95"],
            "answered": f"{loaded['answered']}/{loaded['expected']}",
            "turned_away_503": loaded["turned_away_503"],
            "lost": loaded["lost_or_failed"],
            "server_peak_rss_mb": figures["server_peak_rss_mb"],
        },
    )


if __name__ == "__main__":
    main()
