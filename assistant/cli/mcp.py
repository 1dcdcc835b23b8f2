from __future__ import annotations


def mcp() -> None:
    """Serve the archive to an AI assistant over MCP on stdin/stdout: tools search_articles, ask, get_article.

    An MCP host (Claude Desktop, an IDE, an agent) starts it; with ASSISTANT_SERVER_URL set it is a thin
    client of that server, else it loads the index and model itself."""
    from assistant.cli.ask import open_assistant
    from assistant.mcp.tools import build_server
    from assistant.server.client import RemoteAssistant
    from assistant.server.engine import Engine, QueuedArchive

    assistant = open_assistant()
    archive = assistant if isinstance(assistant, RemoteAssistant) else QueuedArchive(Engine(assistant))
    build_server(archive).run("stdio")
