"""A soak of `assistant serve` with the embedded model: several kinds of client for `--minutes`, then its health.

    python bench/soak.py [--minutes 10] [--askers 4] [--queue 3]

Over the sample index, on 127.0.0.1, at once and without pause until the time is up:
- `--askers` clients ask `/v1/ask` (JSON) and `/v1/chat/completions` (streamed, as a chat front-end);
  the queue is `--queue` long, so some asks are turned away with 503; each waits 2 s before the next;
- one client streams `/v1/ask` and walks away at the first text, every other question;
- one client searches and reads the articles it finds (`/v1/search`, `/v1/articles/...`);
- one agent opens an MCP session at `/mcp` and calls `search_articles`, as an agent would;
- one client sends bad bodies: broken JSON, an empty question, wrong types, 2 MB, an unknown article.

Every response must be one it may give (an ask: 200 or 503 when the queue is full; a bad body: 400,
413 or 422; an unknown article: 404); anything else, a 5xx other than 503, a timeout or a dropped
connection is an error. The server's RSS (anonymous and file-backed) and open file descriptors are
read after its first answer, every 15 s, and when the clients are done. The bound: anonymous memory
grows by at most 100 MB and descriptors by at most 10 (file-backed pages are the model's weights,
mapped from its file: bounded by its size). Prints JSON, headline last; writes bench/results/soak.json.
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
    """RSS, split into anonymous memory (the heap: where a leak shows) and file-backed pages (the model's
    weights, mapped from its file: they come in as tokens not read before are met), and descriptors."""
    process = psutil.Process(pid)
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    kb = {name: int(status[name].split()[0]) for name in ("RssAnon", "RssFile")}
    return {
        "rss_mb": round(process.memory_info().rss / 2**20, 1),
        "anon_mb": round(kb["RssAnon"] / 1024, 1),
        "file_mb": round(kb["RssFile"] / 1024, 1),
        "open_fds": process.num_fds(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--askers", type=int, default=4)
    parser.add_argument("--queue", type=int, default=3, help="ASSISTANT_SERVER_QUEUE: small, so some asks meet a 503")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {"ASSISTANT_INDEX_DIR": str(Path(folder) / "index"), "ASSISTANT_SERVER_QUEUE": str(args.queue)}
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
            streamed(url, QUESTIONS[0])  # the first answer: the model's pages are in memory
            start = health(server.pid)
            tally = Tally()
            started = time.monotonic()
            until = started + 60 * args.minutes
            clients = [threading.Thread(target=asker, args=(url, tally, until, n)) for n in range(args.askers)]
            clients += [threading.Thread(target=f, args=(url, tally, until)) for f in (walker, reader, agent, vandal)]
            samples = []
            for client in clients:
                client.start()
            while any(client.is_alive() for client in clients):
                samples.append(health(server.pid))
                time.sleep(15)
            wall = time.monotonic() - started
            time.sleep(2)  # the last connections close
            end = health(server.pid)
            after = streamed(url, QUESTIONS[1])
        finally:
            server.terminate()
            server.wait(timeout=30)
        tracebacks = log.read_text().count("Traceback")
    table = tally.table()
    totals = {key: sum(row[key] for row in table.values()) for key in ("requests", "ok", "busy_503", "errors")}
    growth = {key: round(end[key] - start[key], 1) for key in start}
    figures = {
        "minutes": args.minutes,
        "clients": len(clients),
        "wall_s": round(wall, 1),
        "by_kind": table,
        "totals": totals,
        "server_start": start,
        "server_end": end,
        "server_peak_rss_mb": max(sample["rss_mb"] for sample in samples),
        "server_every_minute": samples[::4],  # RSS and descriptors while the clients ran
        "growth": growth,
        "within_bound": growth["anon_mb"] <= RSS_BOUND_MB and growth["open_fds"] <= FD_BOUND,
        "answered_after": after.get("status") == 200 and "answer" in after,
        "tracebacks_in_server_log": tracebacks,
    }
    answers = sum(table[kind]["ok"] for kind in ("ask", "chat_stream", "ask_walk_away") if kind in table)
    emit(
        "soak",
        figures,
        {
            "answers": answers,
            "busy_503": totals["busy_503"],
            "errors": totals["errors"],
            "ask_p50_s": table.get("ask", {}).get("p50_s"),
            "ask_p95_s": table.get("ask", {}).get("p95_s"),
            "rss_mb": f"{start['rss_mb']} -> {end['rss_mb']}",
            "anon_mb": f"{start['anon_mb']} -> {end['anon_mb']}",
            "open_fds": f"{start['open_fds']} -> {end['open_fds']}",
            "within_bound": figures["within_bound"],
        },
    )


if __name__ == "__main__":
    main()
