"""`assistant mcp` through the MCP SDK's own client, as a host starts it: over stdio, and at `assistant serve`'s /mcp.

The stdio server runs as its own process (the real index and embedder; the real embedded model for
`ask`); /mcp is a real uvicorn on 127.0.0.1 with a scripted model (what it does with an answer).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from conftest import DAESH
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr
from test_server import CLAIM, Server, SlowModel

from assistant.settings import Settings

TOOLS = {"search_articles", "ask", "get_article", "find_statements"}


def environment(**settings: str) -> dict[str, str]:
    """The test's environment (its index, no user config) as a host would pass it to the server."""
    return {k: v for k, v in os.environ.items() if k.startswith(("ASSISTANT_", "XDG_", "HOME", "PATH"))} | settings


@asynccontextmanager
async def started(errors: Path, **settings: str) -> Any:
    """`assistant mcp` started as an MCP host starts it, its stderr kept in `errors`."""
    server = StdioServerParameters(command=sys.executable, args=["-m", "assistant", "mcp"], env=environment(**settings))
    with errors.open("w") as errlog:
        async with Client(stdio_client(server, errlog=errlog), read_timeout_seconds=600) as client:
            yield client


def structured(result: Any) -> Any:
    assert not result.is_error, result.content
    return result.structured_content


def error_text(result: Any) -> str:
    assert result.is_error
    [content] = result.content
    assert "\n" not in content.text and "Traceback" not in content.text
    return content.text


@pytest.mark.llm
def test_a_host_lists_the_tools_and_calls_each_over_stdio(sample_settings: Settings, tmp_path: Path) -> None:
    async def session() -> dict[str, Any]:
        async with started(tmp_path / "stderr.log") as client:
            tools = (await client.list_tools()).tools
            found = structured(await client.call_tool("search_articles", {"query": "Incirlik airbase", "k": 3}))
            answer = structured(await client.call_tool("ask", {"question": DAESH}))
            article = structured(await client.call_tool("get_article", {"doc_id": answer["citations"][0]["doc_id"]}))
            resource = await client.read_resource(f"article://{article['doc_id']}")
            return {
                "tools": tools,
                "found": found["result"],
                "answer": answer,
                "article": article,
                "resource": json.loads(resource.contents[0].text),
                "bad k": error_text(await client.call_tool("search_articles", {"query": "Turkey", "k": 0})),
                "bad date": error_text(await client.call_tool("ask", {"question": DAESH, "since": "last spring"})),
                "no article": error_text(await client.call_tool("get_article", {"doc_id": "nothing-here"})),
                "statements": (said := structured(await client.call_tool("find_statements", {"speaker": "the US"}))),
                "said in": structured(await client.call_tool("get_article", {"doc_id": said["result"][0]["doc_id"]})),
            }

    got = anyio.run(session)
    assert {tool.name for tool in got["tools"]} == TOOLS
    assert all(len(tool.description) > 150 and tool.annotations.read_only_hint for tool in got["tools"])
    passage = got["found"][0]
    assert 1 <= len(got["found"]) <= 3 and "Incirlik" in passage["text"]
    assert {"doc_id", "title", "source", "published_at", "url", "text", "char_start", "char_end"} <= set(passage)
    answer, article = got["answer"], got["article"]
    assert not answer["refused"] and answer["citations"] and answer["confidence"] is not None
    for citation in answer["citations"]:
        assert f"[{citation['n']}]" in answer["answer"]
    first = answer["citations"][0]
    assert article["text"][first["char_start"] : first["char_end"]] == first["quote"]  # the quote is the article's
    assert got["resource"] == article
    assert "greater than or equal to 1" in got["bad k"]
    assert "last spring" in got["bad date"] and "YYYY-MM-DD" in got["bad date"]
    assert "no article 'nothing-here'" in got["no article"]
    statements = got["statements"]["result"]
    assert {s["person"] for s in statements} >= {"Elizabeth Trudeau"} and all(
        s["country"] == "United States" for s in statements
    )
    said = statements[0]  # its sentence is the article's, where it says
    assert got["said in"]["text"][said["char_start"] : said["char_end"]] == said["text"]
    assert "Traceback" not in (tmp_path / "stderr.log").read_text()


def test_on_an_empty_index_each_tool_says_how_to_build_one(tmp_path: Path) -> None:
    async def session() -> list[str]:
        async with started(tmp_path / "stderr.log", ASSISTANT_INDEX_DIR=str(tmp_path / "empty")) as client:
            return [
                error_text(await client.call_tool("search_articles", {"query": "Turkey"})),
                error_text(await client.call_tool("ask", {"question": DAESH})),
                error_text(await client.call_tool("get_article", {"doc_id": "a"})),
                error_text(await client.call_tool("find_statements", {"speaker": "Kalin"})),
            ]

    for message in anyio.run(session):
        assert "assistant index add" in message, message


def test_with_a_server_url_it_is_a_thin_client_and_the_server_offers_it_at_mcp_behind_its_token(
    sample_settings: Settings, local_embedder, tmp_path: Path
) -> None:
    settings = sample_settings.model_copy(update={"server_token": SecretStr("s3cret-token")})
    model = SlowModel()

    async def over_http(token: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
            async with Client(streamable_http_client(f"{server.url}/mcp", http_client=http)) as client:
                tools = (await client.list_tools()).tools
                return {"tools": tools, "answer": structured(await client.call_tool("ask", {"question": DAESH}))}

    async def over_stdio() -> dict[str, Any]:
        url = {"ASSISTANT_SERVER_URL": server.url, "ASSISTANT_SERVER_TOKEN": "s3cret-token"}
        missing_model = {"ASSISTANT_LLM_MODEL": str(tmp_path / "no-model.gguf")}  # it must not load one
        async with started(tmp_path / "stderr.log", **url, **missing_model) as client:
            return structured(await client.call_tool("ask", {"question": DAESH}))

    with Server(settings, model, local_embedder) as server:
        shared = anyio.run(over_http, "s3cret-token")
        thin = anyio.run(over_stdio)
        with pytest.raises(ExceptionGroup) as refused:
            anyio.run(over_http, "wrong")
        with httpx2.Client() as http:  # what the client saw: a 401 before any MCP message
            response = http.post(f"{server.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert {tool.name for tool in shared["tools"]} == TOOLS
    for answer in (shared["answer"], thin):
        assert answer["answer"].startswith(CLAIM.split(" [")[0]) and answer["citations"]
    assert len(model.prompts) == 2  # both asks were the server's model
    assert refused.group_contains(MCPError)  # the SDK's "Server returned an error response"
    assert response.status_code == 401 and response.json()["detail"] == "a valid bearer token is required"
