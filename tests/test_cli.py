"""The CLI: thin commands, JSON on demand, one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES
from typer.testing import CliRunner

from assistant.cli import app

runner = CliRunner()


def test_index_build_status_and_incremental_rebuild(tmp_path: Path) -> None:
    corpus = tmp_path / "articles"
    shutil.copytree(SAMPLES, corpus)
    (corpus / "broken.json").write_text("{oops")
    result = runner.invoke(app, ["index", "build", str(corpus), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["articles"], report["added"]) == (2, 2)
    assert "broken.json" in result.stderr and "invalid JSON" in result.stderr

    strict = runner.invoke(app, ["index", "build", "--strict"])
    assert strict.exit_code == 1 and "broken.json" in strict.stderr

    status = json.loads(runner.invoke(app, ["index", "status", "--json"]).stdout)
    assert status["articles"] == 2 and status["embedding_model"] == "local:all-MiniLM-L6-v2-int8"
    assert status["paths"] == [str(corpus.resolve())] and status["built_at"]

    rebuilt = runner.invoke(app, ["index", "rebuild"])
    assert rebuilt.exit_code == 0 and "2 articles" in rebuilt.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["index", "status"], "no index at"),
        (["ask", "anything"], "no index at"),
        (["index", "rebuild"], "no paths or URLs to index"),
        (["ask", "x", "--since", "someday"], "since: not a date"),
    ],
)
def test_known_errors_are_one_line_without_traceback(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_bad_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "gpt")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 1 and "invalid setting llm_backend" in result.stderr


def test_config_reads_a_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text('top_k = 3\nllm_backend = "openai"\n')
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    monkeypatch.setenv("ASSISTANT_TOP_K", "5")  # the environment wins over the file
    values = json.loads(runner.invoke(app, ["config", "--json"]).stdout)
    assert (values["top_k"], values["llm_backend"], values["config_file"]) == (5, "openai", str(config))


def test_unsupported_and_unreadable_paths_are_reported(tmp_path: Path) -> None:
    result = runner.invoke(app, ["index", "build", str(tmp_path / "nope")])
    assert "no such file or folder" in result.stderr


def test_an_unexpected_error_is_one_line_and_exit_code_2(monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.store

    def broken(settings: object) -> None:
        raise RuntimeError("disk said no\nsecond line")

    monkeypatch.setattr(assistant.store, "index_status", broken)
    result = runner.invoke(app, ["index", "status"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "internal error: RuntimeError: disk said no second line; set ASSISTANT_DEBUG=1 for the traceback"
    ]

    monkeypatch.setenv("ASSISTANT_DEBUG", "1")
    debug = runner.invoke(app, ["index", "status"])
    assert isinstance(debug.exception, RuntimeError)  # raised as it is: the traceback shows


def test_usage_errors_stay_clicks(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ask"])
    assert result.exit_code == 2 and "Missing argument" in result.stderr and "internal error" not in result.stderr
