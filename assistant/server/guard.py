"""What every response of `assistant serve` carries, and what no request may bring: a body over the cap."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1_000_000  # a question, its filters and 20 turns of history fit many times over
# The page loads only its own script and stylesheet and talks only to its own API; /docs (Swagger
# UI, inline scripts from a CDN) is left without it
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


class Guard:
    """ASGI middleware: a body over `limit` bytes is a 413 before anything reads it all (declared or
    streamed), and every response gets the security headers (the page its Content-Security-Policy)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = list(HEADERS)
        if not scope["path"].startswith(("/docs", "/openapi.json")):
            headers.append((b"content-security-policy", PAGE_POLICY.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await _too_large(self.limit)(scope, receive, send_with_headers)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise HTTPException(413, _detail(self.limit))
            return message

        await self.app(scope, counted, send_with_headers)


def _too_large(limit: int) -> Any:
    return JSONResponse({"detail": _detail(limit)}, status_code=413)


def _detail(limit: int) -> str:
    return f"the request body is over {limit // 1_000_000} MB"
