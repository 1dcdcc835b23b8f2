"""`assistant serve` whose model worker is killed with SIGKILL mid-answer, `--times` times in a row.

    python bench/worker_kill.py [--times 20]

Over the sample index, on 127.0.0.1: each round streams a question, kills the worker (its pid from
`/healthz`) at the first text event, and asks the next question as a plain `/v1/ask`. Counted: the
server alive after each kill, the killed answer ending with an SSE `error` event, the next question
answered with citations; timed: the next answer, and how long it waited for the new worker to load
(`model_start_s`). Prints JSON, headline last; writes bench/results/worker_kill.json.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from measure import BIN, ROOT, emit, percentile, run
from serve import QUESTIONS, free_port, wait_until_up

from assistant.server.client import server_sent_events


def killed_mid_answer(http: httpx.Client, question: str) -> dict[str, Any]:
    """Stream `question`, kill the worker at its first text; what the client then saw."""
    pid = http.get("/healthz").json()["model"]["pid"]
    events = []
    with http.stream("POST", "/v1/ask", json={"question": question, "stream": True}) as response:
        for name, data in server_sent_events(response.iter_lines()):
            events.append((name, data))
            if name == "text" and len(events) == 1:
                os.kill(pid, signal.SIGKILL)  # ProcessLookupError (a bench failure) if /healthz named a gone worker
    last_name, last_data = events[-1] if events else ("", {})
    return {"pid": pid, "error_event": last_name == "error", "detail": str(last_data)[:160]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--times", type=int, default=20)
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory() as folder:
        env = {"ASSISTANT_INDEX_DIR": str(Path(folder) / "index")}
        run([BIN / "assistant", "index", "build", ROOT / "examples" / "articles"], env)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = Path(folder) / "serve.log"
        with log.open("w") as output:
            server = subprocess.Popen(
                [str(BIN / "assistant"), "serve", "--port", str(port)], env={**os.environ, **env}, stderr=output
            )
        try:
            wait_until_up(url, server)
            with httpx.Client(base_url=url, timeout=600) as http:
                for number in range(args.times):
                    kill = killed_mid_answer(http, QUESTIONS[number % len(QUESTIONS)])
                    alive = server.poll() is None
                    started = time.perf_counter()
                    response = http.post("/v1/ask", json={"question": QUESTIONS[(number + 1) % len(QUESTIONS)]})
                    body = response.json() if response.status_code == 200 else {}
                    rounds.append(
                        kill
                        | {
                            "server_alive": alive and server.poll() is None,
                            "next_status": response.status_code,
                            "next_answered": bool(body.get("citations")) or bool(body.get("refused")),
                            "next_cited": bool(body.get("citations")),
                            "next_answer_s": round(time.perf_counter() - started, 2),
                            "model_start_s": body.get("timings", {}).get("model_start_s"),
                        }
                    )
                    print(rounds[-1], flush=True)
                health = http.get("/healthz").json()["model"]
        finally:
            server.terminate()
            server.wait(timeout=30)
        tracebacks = log.read_text().count("Traceback")
    starts = [r["model_start_s"] for r in rounds if r["model_start_s"] is not None]
    figures = {"rounds": rounds, "worker": health, "tracebacks_in_server_log": tracebacks}
    emit(
        "worker_kill",
        figures,
        {
            "kills": len(rounds),
            "server_alive": sum(r["server_alive"] for r in rounds),
            "error_event_to_killed_client": sum(r["error_event"] for r in rounds),
            "next_question_answered": sum(r["next_answered"] for r in rounds),
            "next_question_cited": sum(r["next_cited"] for r in rounds),
            "crashes_counted": health["crashes"],
            "model_start_s_p50": round(percentile(starts, 0.5), 2) if starts else None,
            "model_start_s_max": max(starts) if starts else None,
            "next_answer_s_p50": round(percentile([r["next_answer_s"] for r in rounds], 0.5), 2),
        },
    )


if __name__ == "__main__":
    main()
