"""The `openai` backend against a real OpenAI-compatible server on 127.0.0.1 (llama-cpp-python's)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ALEPPO, DAESH, SAMPLES
from test_end_to_end import assert_cites_the_state_department
from typer.testing import CliRunner

from assistant.answering.qa import Assistant
from assistant.backends.bundled_model import bundled_model
from assistant.cli import app
from assistant.errors import BackendError, IndexMismatchError
from assistant.ingestion.indexer import build_index, index_status
from assistant.settings import Settings

pytestmark = pytest.mark.llm


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, server: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2)
            return url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)


def serve(log: Path, *options: str) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on a free 127.0.0.1 port, for the bundled model."""
    port = free_port()
    model = bundled_model(Settings().cache_dir)
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--model_alias",
        "qwen-1.5b",
        *options,
    ]
    with log.open("w") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield wait_for(f"http://127.0.0.1:{port}/v1", server, log)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve(tmp_path_factory.mktemp("server") / "server.log")


def openai_settings(base: Settings, url: str, **changes: object) -> Settings:
    return base.model_copy(update={"llm_backend": "openai", "llm_base_url": url, "llm_model": "qwen-1.5b", **changes})


def test_answers_through_the_openai_compatible_server(
    sample_settings: Settings, server_url: str, local_embedder
) -> None:
    settings = openai_settings(sample_settings, server_url)
    assistant = Assistant(settings, embedder=local_embedder)
    answer = assistant.ask(DAESH)
    assert answer.models["llm"] == "openai:qwen-1.5b"
    assert_cites_the_state_department(answer)
    assert assistant.ask(ALEPPO).refused
    # the server gives top_logprobs: the same probes as the embedded model
    assert 0 <= answer.signals["p_sufficient"] <= 1
    assert answer.confidence is not None


def test_a_server_without_token_probabilities_falls_back_to_the_other_signals(
    sample_settings: Settings, local_embedder, tmp_path: Path
) -> None:
    for url in serve(tmp_path / "server.log", "--logits_all", "false"):
        answer = Assistant(openai_settings(sample_settings, url), embedder=local_embedder).ask(DAESH)
        assert_cites_the_state_department(answer)
        assert "p_sufficient" not in answer.signals and "top_similarity" in answer.signals
        assert answer.confidence is not None


def test_cli_through_the_server_with_environment_settings(
    sample_settings: Settings, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "openai")
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", server_url)
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "qwen-1.5b")
    result = CliRunner().invoke(app, ["ask", DAESH, "--json"])
    assert result.exit_code == 0, result.output
    assert '"openai:qwen-1.5b"' in result.stdout


def test_an_unreachable_server_is_one_clear_error(sample_settings: Settings, local_embedder) -> None:
    settings = openai_settings(sample_settings, f"http://127.0.0.1:{free_port()}/v1", llm_max_retries=1)
    with pytest.raises(BackendError, match="cannot reach the server at http://127.0.0.1"):
        Assistant(settings, embedder=local_embedder).ask(DAESH)


def test_cli_reports_a_missing_api_key_by_its_setting_name(sample_settings: Settings, monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "openai")
    result = CliRunner().invoke(app, ["ask", DAESH])
    assert result.exit_code == 1
    assert "OPENAI_API_KEY" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_key_is_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-very-secret-value")
    result = CliRunner().invoke(app, ["config", "--json"])
    assert result.exit_code == 0
    assert "very-secret" not in result.output and '"openai_api_key": "********"' in result.output


def test_embeddings_through_an_openai_compatible_server(tmp_path: Path, local_embedder) -> None:
    """ASSISTANT_EMBEDDINGS=openai: the index is embedded through the openai SDK over HTTP and records that model."""
    port = free_port()
    log = tmp_path / "embedding-server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).parent / "embedding_server.py"), str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = wait_for(f"http://127.0.0.1:{port}/v1", server, log)
        settings = Settings(
            index_dir=tmp_path / "index", embeddings="openai", embeddings_base_url=url, embeddings_model="minilm"
        )
        report = build_index([SAMPLES], settings)
        assert report.chunks_embedded == report.chunks > 0
        assert index_status(settings).embedding_model == "openai:minilm"
        passages = Assistant(settings).retrieve(DAESH, top_k=3)
        assert any("State Department" in p.chunk.text for p in passages)
        with pytest.raises(IndexMismatchError, match="index rebuild"):
            Assistant(settings, embedder=local_embedder).retrieve(DAESH)
    finally:
        server.terminate()
        server.wait(timeout=30)
