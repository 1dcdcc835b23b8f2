"""The archive as an MCP server: tools an AI assistant calls (search, ask, read an article) and articles as resources.

`assistant mcp` serves it over stdio to a host that starts it (Claude Desktop, an IDE, an
agent); `assistant serve` also offers it at /mcp (streamable HTTP) so a team's agents share
one model and one queue.
"""
