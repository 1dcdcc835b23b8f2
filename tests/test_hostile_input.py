"""Whatever folder a user points at: every bad file is reported with its reason, every good one indexed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLES

GOOD = {
    "articles/turkey-keen-to-cooperate-with-russia.txt",
    "articles/un-welcomes-turkey-russia-pledge.txt",
    "latin1.txt",
    "utf16.txt",
    "broken.html",
    "r1",
    "r3",
}


def hostile_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copytree(SAMPLES, corpus / "articles")
    (corpus / "zero.txt").write_bytes(b"")
    (corpus / "blank.md").write_text("  \n\n \t\n")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (corpus / "latin1.txt").write_bytes("Café talks in Zürich\n\nThe ministers met at a café.".encode("latin-1"))
    (corpus / "utf16.txt").write_bytes("Talks in UTF-16\n\nThe envoys agreed on a ceasefire.".encode("utf-16"))
    with (corpus / "huge.txt").open("wb") as huge:  # 50 MB: a dump, not an article
        for _ in range(50):
            huge.write(b"All work and no play makes a dull article. " * 23_810)
    (corpus / "nested.html").write_text("<html><body>" + "<div>" * 20_000 + "Deep." + "</div>" * 20_000)
    (corpus / "broken.html").write_text(
        "<html><head><title>Broken page</title><body><p>The council voted to reopen the harbour on Monday "
        "after a long debate about the budget.<p>Work starts in spring, the mayor said, <b>unclosed <div>"
    )
    (corpus / "bad.json").write_text('{"id": "x", "body": "unterminated')
    records = [
        {"id": "r1", "title": "R1", "body": "The first record's body text."},
        "{not json",
        {"id": "r2", "title": "no body"},
        {"id": "r1", "title": "Duplicate", "body": "Another record with the same id."},
        {"id": "r3", "title": "R3", "body": "The third record's body text."},
        [1, 2],
    ]
    (corpus / "records.jsonl").write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    locked = corpus / "locked.txt"
    locked.write_text("Secret\n\nNobody may read this file.")
    locked.chmod(0o000)
    (corpus / "loop").mkdir()
    (corpus / "loop" / "again").symlink_to(corpus / "loop")
    (corpus / "dangling.txt").symlink_to(corpus / "nowhere.txt")
    return corpus


def run_cli(args: list[str], home: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {
        **extra_env,
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "ASSISTANT_INDEX_DIR": str(home / "index"),
        "ASSISTANT_CACHE_DIR": str(home / "cache"),
        "COLUMNS": "400",
    }
    command = [sys.executable, "-m", "assistant", *args]
    if os.geteuid() == 0:  # root reads any file: drop that power so permissions count
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=home)


def test_a_hostile_folder_is_indexed_around_its_bad_files(tmp_path: Path) -> None:
    corpus = hostile_corpus(tmp_path)
    result = run_cli(["index", "build", str(corpus), "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    problems = {p["path"].removeprefix(f"{corpus}/"): p["reason"] for p in report["problems"]}
    expected = {
        "zero.txt": "empty file",
        "blank.md": "empty file",
        "binary.txt": "binary content, not text",
        "huge.txt": "over the 10 MB limit",
        "nested.html": "no article text found",
        "bad.json": "invalid JSON",
        "records.jsonl:2": "invalid JSON",
        "records.jsonl:3": "record has no 'body' text",
        "records.jsonl:4": "duplicate article id 'r1'",
        "records.jsonl:6[0]": "record is not a JSON object",
        "records.jsonl:6[1]": "record is not a JSON object",
        "locked.txt": "Permission denied",
        "dangling.txt": "No such file or directory",
    }
    assert set(problems) == set(expected), problems
    for where, reason in expected.items():
        assert reason in problems[where], (where, problems[where])
        assert f"skipped {corpus}/{where}: " in " ".join(result.stderr.split())
    assert report["articles"] == len(GOOD)

    status = json.loads(run_cli(["index", "status", "--json"], tmp_path).stdout)
    assert status["articles"] == len(GOOD)

    strict = run_cli(["index", "build", str(corpus), "--strict"], tmp_path)
    assert strict.returncode == 1 and "13 skipped" in strict.stdout


def test_an_unexpected_error_in_one_file_is_reported_and_the_rest_indexed(tmp_path: Path) -> None:
    """The failure a new user met: trafilatura's jusText cannot import lxml.html.clean.

    A stand-in `lxml_html_clean` that fails to import (as when the package is
    missing) breaks every HTML file; each is reported with its reason, the text
    articles are indexed, and the HTML article indexed before it broke is kept.
    """
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLES, corpus)
    (corpus / "harbour.html").write_text(
        "<html><head><title>Harbour reopens</title></head><body><article><p>The council voted to reopen the "
        "harbour on Monday after a long debate about the budget.</p><p>Work starts in spring.</p></article>"
        "</body></html>"
    )
    assert run_cli(["index", "build", str(corpus)], tmp_path).returncode == 0
    (corpus / "harbour.html").write_text((corpus / "harbour.html").read_text().replace("spring", "summer"))
    broken = tmp_path / "broken-site"
    (broken / "lxml_html_clean").mkdir(parents=True)
    (broken / "lxml_html_clean" / "__init__.py").write_text("raise ImportError('No module named lxml_html_clean')\n")

    result = run_cli(["index", "build", str(corpus), "--json"], tmp_path, PYTHONPATH=str(broken))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    [problem] = report["problems"]
    assert problem["path"] == str(corpus / "harbour.html")
    assert problem["reason"].startswith("cannot read it (ImportError: lxml.html.clean module is now a separate")
    assert (report["articles"], report["unchanged"], report["removed"]) == (3, 2, 0)  # the old version stays
    assert f"skipped {corpus}/harbour.html: cannot read it (ImportError" in " ".join(result.stderr.split())
