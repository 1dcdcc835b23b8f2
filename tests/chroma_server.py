"""A real Chroma server (`chroma run`, shipped with chromadb) on 127.0.0.1, and a token-checking proxy before it."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ChromaServer:
    """`chroma run --path DIR` on a free port; stop and start it again on the same data."""

    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ChromaServer:
        command = [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"chroma run did not answer at {self.url}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def collections(self) -> set[str]:
        found = httpx.get(f"{self.url}/api/v2/tenants/default_tenant/databases/default_database/collections").json()
        return {collection["name"] for collection in found}


class TokenProxy:
    """An HTTP front that lets through only requests bearing `token` (as an authenticating proxy before
    Chroma does: `chroma run` 1.x itself checks no token), forwarding them to `upstream`."""

    def __init__(self, upstream: str, token: str) -> None:
        client = httpx.Client(base_url=upstream, timeout=30)
        self.hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def _forward(handler) -> None:  # noqa: N805 (the handler is the request)
                self.hits.append(handler.headers.get("Authorization", ""))
                body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
                if handler.headers.get("Authorization") != f"Bearer {token}":
                    reply = httpx.Response(401, json={"error": "Unauthorized", "message": "bad token"})
                else:
                    headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
                    reply = client.request(handler.command, handler.path, content=body, headers=headers)
                handler.send_response(reply.status_code)
                handler.send_header("Content-Type", reply.headers.get("content-type", "application/json"))
                handler.send_header("Content-Length", str(len(reply.content)))
                handler.end_headers()
                handler.wfile.write(reply.content)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

            def log_message(handler, *args: object) -> None:  # noqa: N805
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
