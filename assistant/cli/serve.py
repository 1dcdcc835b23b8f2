from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.console import err


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API (/v1, described at /docs) and the reading-room page (/) over the index."""
    import uvicorn

    from assistant.server.app import create_app
    from assistant.settings import load_settings

    settings = load_settings()
    if host not in ("127.0.0.1", "localhost", "::1") and settings.server_token is None:
        err.print(f"[yellow]listening on {host} with no ASSISTANT_SERVER_TOKEN: anyone who can reach it may ask[/]")
    app = create_app(settings)
    err.print(f"loading the index and models, then serving on http://{host}:{port} (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
