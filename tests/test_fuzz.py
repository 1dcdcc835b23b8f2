"""Every route of a real `assistant serve` fuzzed from its own OpenAPI schema by Schemathesis.

The server runs as its own process on 127.0.0.1 over the sample index, behind a token, its model a
scripted OpenAI-compatible server (so thousands of requests take seconds, not hours). Checked: no
5xx, every response in its documented status and schema, bad input rejected, auth enforced, no
request over 30 s; and the server still answers afterwards, with no traceback in its log.

`positive_data_acceptance` is left out: the schema cannot say that `since` must read as a date
("last spring" is a string, and a 422), that a conversation must end with the user's question, or
that `top_k` 31.0 is not an integer to us.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from conftest import DAESH
from test_failing_server import KEY, ScriptedServer
from test_reading_room import assistant_serve

TOKEN = "fuzz-token"
EXAMPLES = 60  # per route and phase: about 520 requests in all


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sample_index_dir: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("fuzzed")
    shutil.copytree(sample_index_dir, folder / "index")
    model = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedServer)
    threading.Thread(target=model.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")} | {
        "ASSISTANT_INDEX_DIR": str(folder / "index"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "ASSISTANT_LLM_BACKEND": "openai",
        "ASSISTANT_LLM_BASE_URL": f"http://127.0.0.1:{model.server_address[1]}/v1",
        "ASSISTANT_LLM_MODEL": "ok",
        "OPENAI_API_KEY": KEY,
        "ASSISTANT_SERVER_TOKEN": TOKEN,
    }
    try:
        with assistant_serve(folder, env) as served:
            yield served
    finally:
        model.shutdown()


def test_every_route_survives_schemathesis_and_the_server_answers_afterwards(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, log = served
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json"),
        *("--header", f"Authorization: Bearer {TOKEN}"),
        *("--checks", "all", "--exclude-checks", "positive_data_acceptance"),
        # one worker: with two, Hypothesis 6.170 races on its own lambda cache (a Schemathesis "runtime error")
        *("--max-examples", str(EXAMPLES), "--workers", "1", "--request-timeout", "30", "--seed", "26"),
        "--no-color",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)  # its cache: not here
    summary = run.stdout[run.stdout.find("SUMMARY") :]
    print(summary)  # routes, cases, failures: shown with -s
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert re.search(r"Tested: 7\b", summary), summary  # ask, search, quotes, articles, index, chat/completions, models
    generated = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert generated and int(generated[1]) >= 300 and generated[1] == generated[2], summary

    headers = {"Authorization": f"Bearer {TOKEN}"}
    answer = httpx.post(f"{url}/v1/ask", json={"question": DAESH}, headers=headers, timeout=60)
    assert answer.status_code == 200 and answer.json()["citations"]  # still answering
    assert "Traceback" not in log.read_text()
