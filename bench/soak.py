"""A soak of `assistant serve` with the embedded model: several kinds of client for `--minutes`, then its health.

    python bench/soak.py [--minutes 10] [--in-process-minutes 0] [--askers 4] [--queue 3]

Over the sample index, on 127.0.0.1, at once and without pause until the time is up:
- `--askers` clients ask `/v1/ask` (JSON) and `/v1/chat/completions` (streamed, as a chat front-end);
  the queue is `--queue` long, so some asks are turned away with 503; each waits 2 s before the next;
- one client streams `/v1/ask` and walks away at the first text, every other question;
- one client searches and reads the articles it finds (`/v1/search`, `/v1/articles/...`);
- one agent opens an MCP session at `/mcp` and calls `search_articles`, as an agent would;
- one client sends bad bodies: broken JSON, an empty question, wrong types, 2 MB, an unknown article.

Every response must be one it may give (an ask: 200 or 503 when the queue is full; a bad body: 400,
413 or 422; an unknown article: 404); anything else, a 5xx other than 503, a timeout or a dropped
connection is an error. The server's RSS (anonymous and file-backed, its model's worker process
included) and open file descriptors are read after its first answer, every 15 s, and when the clients
are done. The bound: anonymous memory grows by at most 100 MB and descriptors by at most 10
(file-backed pages are the model's weights, mapped from its file: bounded by its size); the trend of
anonymous memory over the last 20 minutes (a least-squares line: a recycled worker makes a sawtooth)
is what must stay flat. With `--in-process-minutes`, a first soak runs the model inside the server's
process (ASSISTANT_LLM_WORKER=false), for its answers per minute and memory beside the worker's.
Prints JSON, headline last; writes bench/results/soak.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import psutil
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from measure import BIN, ROOT, emit, percentile, run
from serve import QUESTIONS, free_port, streamed, wait_until_up

RSS_BOUND_MB = 100
FD_BOUND = 10
OK = {
    "ask": {200, 503},
    "chat_stream": {200, 503},
    "ask_walk_away": {200, 503},
    "search": {200},
    "article": {200},
    "mcp_search": {200},
    "bad_body": {400, 413, 422},
    "unknown_article": {404},
}


class Tally:
    """Each request's kind, status and seconds, kept from several threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[str, list[tuple[int | str, float]]] = defaultdict(list)

    def timed(self, kind: str, request: Callable[[], int]) -> int | str:
        started = time.perf_counter()
        try:
            status: int | str = request()
        except Exception as error:  # a timeout, a dropped connection: an error, named
            status = type(error).__name__
        with self.lock:
            self.requests[kind].append((status, time.perf_counter() - started))
        return status

    def table(self) -> dict[str, Any]:
        rows = {}
        for kind, results in sorted(self.requests.items()):
            good = [seconds for status, seconds in results if status in OK[kind] and status != 503]
            rows[kind] = {
                "requests": len(results),
                "ok": len(good),
                "busy_503": sum(status == 503 for status, _ in results),
                "errors": sum(status not in OK[kind] for status, _ in results),
                "error_kinds": sorted({str(status) for status, _ in results if status not in OK[kind]}),
                "p50_s": round(percentile(good, 0.5), 3) if good else None,
                "p95_s": round(percentile(good, 0.95), 3) if good else None,
            }
        return rows


def chat_stream(http: httpx.Client, question: str) -> int:
    body = {"model": "assistant", "messages": [{"role": "user", "content": question}], "stream": True}
    with http.stream("POST", "/v1/chat/completions", json=body) as response:
        lines = list(response.iter_lines())
    if response.status_code == 200 and lines[-2:] != ["data: [DONE]", ""] and "data: [DONE]" not in lines:
        return -1  # a stream that did not end
    return response.status_code


def asker(url: str, tally: Tally, until: float, number: int) -> None:
    with httpx.Client(base_url=url, timeout=900) as http:
        turn = number
        while time.monotonic() < until:
            question = QUESTIONS[turn % len(QUESTIONS)]
            if turn % 2:
                tally.timed("chat_stream", lambda q=question: chat_stream(http, q))
            else:
                tally.timed("ask", lambda q=question: http.post("/v1/ask", json={"question": q}).status_code)
            turn += 1
            time.sleep(2)  # reading the answer (or turned away): so the walker below gets its turns too


def walker(url: str, tally: Tally, until: float) -> None:
    turn = 0
    while time.monotonic() < until:
        walk_away = turn % 2 == 0
        question = QUESTIONS[turn % len(QUESTIONS)]
        status = tally.timed("ask_walk_away", lambda q=question, w=walk_away: streamed(url, q, w)["status"])
        turn += 1
        time.sleep(1 if status == 503 else 0)


def search_into(http: httpx.Client, question: str, found: list[dict[str, Any]]) -> int:
    response = http.post("/v1/search", json={"query": question, "top_k": 5})
    found.extend(response.json() if response.status_code == 200 else [])
    return response.status_code


def reader(url: str, tally: Tally, until: float) -> None:
    with httpx.Client(base_url=url, timeout=120) as http:
        turn = 0
        while time.monotonic() < until:
            found: list[dict[str, Any]] = []
            question = QUESTIONS[turn % len(QUESTIONS)]
            tally.timed("search", lambda q=question, f=found: search_into(http, q, f))
            for passage in found[:2]:
                doc = passage["chunk"]["doc_id"]
                tally.timed("article", lambda d=doc: http.get(f"/v1/articles/{d}").status_code)
            turn += 1
            time.sleep(0.2)


def agent(url: str, tally: Tally, until: float) -> None:
    async def session(question: str) -> int:
        async with httpx2.AsyncClient(timeout=120) as http:
            async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
                result = await client.call_tool("search_articles", {"query": question, "k": 3})
                return 500 if result.is_error else 200

    turn = 0
    while time.monotonic() < until:
        tally.timed("mcp_search", lambda q=QUESTIONS[turn % 4]: anyio.run(session, q))
        turn += 1
        time.sleep(0.5)


def vandal(url: str, tally: Tally, until: float) -> None:
    json_header = {"content-type": "application/json"}
    bad: list[tuple[str, dict[str, Any]]] = [
        ("/v1/ask", {"content": b"{broken", "headers": json_header}),
        ("/v1/ask", {"json": {"question": ""}}),
        ("/v1/ask", {"json": {"question": QUESTIONS[0], "top_k": "many"}}),
        ("/v1/chat/completions", {"json": {"messages": [{"role": "assistant", "content": "hi"}]}}),
        ("/v1/search", {"content": b'{"query": "' + b"x" * 2_000_000 + b'"}', "headers": json_header}),
    ]
    with httpx.Client(base_url=url, timeout=60) as http:
        turn = 0
        while time.monotonic() < until:
            path, options = bad[turn % len(bad)]
            tally.timed("bad_body", lambda p=path, o=options: http.post(p, **o).status_code)
            tally.timed("unknown_article", lambda: http.get("/v1/articles/no/such/article.txt").status_code)
            turn += 1
            time.sleep(0.2)


def health(pid: int) -> dict[str, float]:
    """The server's RSS with its model's worker process (if any), split into anonymous memory (the heap:
    where a leak shows) and file-backed pages (the model's weights, mapped from its file: they come in
    as tokens not read before are met, and a fresh worker maps them again), and its descriptors."""
    server = psutil.Process(pid)
    processes = [server, *server.children(recursive=True)]
    kb = {"RssAnon": 0, "RssFile": 0}
    for process in processes:
        try:
            status = dict(line.split(":", 1) for line in Path(f"/proc/{process.pid}/status").read_text().splitlines())
        except OSError:  # a worker retired meanwhile
            continue
        for name in kb:
            kb[name] += int(status[name].split()[0])
    return {
        "rss_mb": round((kb["RssAnon"] + kb["RssFile"]) / 1024, 1),
        "anon_mb": round(kb["RssAnon"] / 1024, 1),
        "file_mb": round(kb["RssFile"] / 1024, 1),
        "open_fds": server.num_fds(),
        "processes": len(processes),
    }


def model_state(url: str) -> dict[str, Any]:
    """What `/healthz` says of the model's worker (nothing when the model runs in the server's process)."""
    with httpx.Client(base_url=url, timeout=30) as http:
        return dict(http.get("/healthz").json().get("model") or {})


def trend(samples: list[dict[str, Any]], key: str, minutes: float) -> float | None:
    """Growth of `key` over the last `minutes`, from a least-squares line through the samples taken then:
    a worker recycled after some growth makes a sawtooth, whose trend is what grows without bound."""
    last = samples[-1]["minute"]
    window = [(s["minute"], s[key]) for s in samples if s["minute"] >= last - minutes]
    if len(window) < 3:
        return None
    mean_t = sum(t for t, _ in window) / len(window)
    mean_v = sum(v for _, v in window) / len(window)
    slope = sum((t - mean_t) * (v - mean_v) for t, v in window) / sum((t - mean_t) ** 2 for t, _ in window)
    return round(slope * minutes, 1)


def soak(minutes: float, askers: int, env: dict[str, str]) -> dict[str, Any]:
    """One soak of a fresh `assistant serve` with `env`: its requests, and its memory every 15 s."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "serve.log"
        with log.open("w") as output:
            server = subprocess.Popen(
                [str(BIN / "assistant"), "serve", "--port", str(port)], env={**os.environ, **env}, stderr=output
            )
        try:
            wait_until_up(url, server)
            streamed(url, QUESTIONS[0])  # the first answer: the model's pages are in memory
            start = health(server.pid)
            tally = Tally()
            started = time.monotonic()
            until = started + 60 * minutes
            clients = [threading.Thread(target=asker, args=(url, tally, until, n)) for n in range(askers)]
            clients += [threading.Thread(target=f, args=(url, tally, until)) for f in (walker, reader, agent, vandal)]
            samples = []
            for client in clients:
                client.start()
            while any(client.is_alive() for client in clients):
                samples.append({"minute": round((time.monotonic() - started) / 60, 2)} | health(server.pid))
                time.sleep(15)
            wall = time.monotonic() - started
            time.sleep(2)  # the last connections close
            end = health(server.pid)
            worker = model_state(url)
            after = streamed(url, QUESTIONS[1])
        finally:
            server.terminate()
            server.wait(timeout=30)
        tracebacks = log.read_text().count("Traceback")
    table = tally.table()
    totals = {key: sum(row[key] for row in table.values()) for key in ("requests", "ok", "busy_503", "errors")}
    growth = {key: round(end[key] - start[key], 1) for key in start}
    answers = sum(table[kind]["ok"] for kind in ("ask", "chat_stream") if kind in table)
    return {
        "minutes": minutes,
        "clients": len(clients),
        "wall_s": round(wall, 1),
        "by_kind": table,
        "totals": totals,
        "answers_per_minute": round(answers / (wall / 60), 2),  # whole answers (not the walk-aways)
        "server_start": start,
        "server_end": end,
        "server_peak_rss_mb": max(sample["rss_mb"] for sample in samples),
        "server_every_minute": samples[::4],
        "growth": growth,
        "anon_trend_last_20_min_mb": trend(samples, "anon_mb", 20),
        "anon_growth_last_20_min_mb": round(
            end["anon_mb"] - next(s["anon_mb"] for s in samples if s["minute"] >= wall / 60 - 20), 1
        ),
        "worker": worker,
        "within_bound": growth["anon_mb"] <= RSS_BOUND_MB and growth["open_fds"] <= FD_BOUND,
        "answered_after": after.get("status") == 200 and "answer" in after,
        "tracebacks_in_server_log": tracebacks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="the soak with the model in its worker")
    parser.add_argument("--in-process-minutes", type=float, default=0.0, help="first, the model in the server")
    parser.add_argument("--askers", type=int, default=4)
    parser.add_argument("--queue", type=int, default=3, help="ASSISTANT_SERVER_QUEUE: small, so some asks meet a 503")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {"ASSISTANT_INDEX_DIR": str(Path(folder) / "index"), "ASSISTANT_SERVER_QUEUE": str(args.queue)}
        run([BIN / "assistant", "index", "build", ROOT / "examples" / "articles"], env)
        runs = {}
        if args.in_process_minutes:
            runs["in_process"] = soak(args.in_process_minutes, args.askers, env | {"ASSISTANT_LLM_WORKER": "false"})
        runs["worker"] = soak(args.minutes, args.askers, env)
    worker = runs["worker"]
    headline: dict[str, Any] = {
        "answers_per_minute": {mode: figures["answers_per_minute"] for mode, figures in runs.items()},
        "errors": {mode: figures["totals"]["errors"] for mode, figures in runs.items()},
        "busy_503": {mode: figures["totals"]["busy_503"] for mode, figures in runs.items()},
        "anon_mb": {m: f"{f['server_start']['anon_mb']} -> {f['server_end']['anon_mb']}" for m, f in runs.items()},
        "anon_trend_last_20_min_mb": {mode: figures["anon_trend_last_20_min_mb"] for mode, figures in runs.items()},
        "recycles": worker["worker"].get("recycles"),
        "worker_start_s": worker["worker"].get("last_start_s"),
        "within_bound": all(figures["within_bound"] for figures in runs.values()),
    }
    if "in_process" in runs:
        headline["worker_vs_in_process_rate"] = round(
            worker["answers_per_minute"] / runs["in_process"]["answers_per_minute"], 3
        )
    emit("soak", {"runs": runs}, headline)


if __name__ == "__main__":
    main()
