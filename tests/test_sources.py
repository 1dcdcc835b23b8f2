"""Sources a user adds and removes explicitly: through the real CLI, on a real index (real embedder, real Chroma).

The typo case runs the installed `assistant` and `ask` commands and asks the real local LLM.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DAESH, SAMPLES
from typer.testing import CliRunner, Result
from web_server import Route, WebServer, article_html, http_date, rss

from assistant.cli import app
from assistant.settings import Settings
from assistant.store import IndexDir

BIN = Path(sys.executable).parent
runner = CliRunner()


def index(*args: str) -> Result:
    return runner.invoke(app, ["index", *args])


def report(*args: str) -> dict:
    result = index(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def listed() -> dict[str, dict]:
    """`index sources --json`, by source."""
    return {s["source"]: s for s in report("sources")}


def state(settings: Settings) -> tuple[str, list[str], int]:
    """The generation in use, the generation files, and the articles: what must not change."""
    root = IndexDir(settings.index_dir)
    current = root.open()
    return current.name, [p.name for p in root.generations()], len(current.articles)


def story(folder: Path, name: str, title: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.txt"
    path.write_text(f"{title}\n\n{body}\n")
    return path


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    shutil.copytree(SAMPLES, folder)
    return folder


@pytest.fixture
def today(tmp_path: Path) -> Path:
    folder = tmp_path / "today"
    story(folder, "harbour", "Valdaro doubles harbour fees", "The Port of Valdaro will double its harbour fees.")
    return folder


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer().start()
    yield server
    server.stop()


def test_a_typo_is_an_error_and_every_article_stays_and_answers(archive: Path, settings: Settings) -> None:
    env = os.environ | {"ASSISTANT_INDEX_DIR": str(settings.index_dir)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True, env=env, timeout=600)

    added = run("assistant", "index", "add", str(archive))
    assert added.returncode == 0, added.stderr
    assert "2 articles" in added.stdout and f"added source {archive}" in added.stdout
    before = state(settings)

    typo = run("assistant", "index", "add", str(archive.parent / "archvie"))
    assert typo.returncode == 1
    assert (
        typo.stderr.strip()
        == f"error: cannot add {archive.parent / 'archvie'}: no such file or folder; nothing was changed"
    )
    old_habit = run("assistant", "index", "build", str(archive.parent / "archvie"))  # `build PATH` is `add PATH`
    assert old_habit.returncode == 1 and "no such file or folder" in old_habit.stderr
    assert state(settings) == before

    answered = run("ask", DAESH)
    assert answered.returncode == 0, answered.stderr
    assert re.search(r"\[\d+\]", answered.stdout) and "\nSources\n" in answered.stdout
    assert "unknown outlet" not in answered.stdout  # the samples name no outlet: nothing is printed for it
    assert "2016-08-11 · archive/" in answered.stdout


def test_folders_and_a_feed_added_in_turn_are_all_kept(
    archive: Path, today: Path, web: WebServer, settings: Settings
) -> None:
    first = report("add", str(archive))
    assert (first["articles"], first["added"], first["sources_added"]) == (2, 2, [str(archive)])

    second = report("add", str(today))
    assert (second["articles"], second["added"], second["removed"], second["unchanged"]) == (3, 1, 0, 0)
    assert second["chunks_embedded"] == 1  # only the new folder was read

    body = "Rail workers in Castellane called off a planned strike after a pay rise."
    page = web.page("/news/rail", article_html("Rail strike called off", body, "Courier", "2024-05-12"))
    feed = rss("Courier", [{"title": "Rail strike called off", "link": page, "date": http_date(1715504400)}])
    web.routes["/feed.xml"] = Route(feed.encode(), "application/rss+xml")
    third = report("add", web.url + "/feed.xml")
    assert (third["articles"], third["added"], third["removed"]) == (4, 1, 0)

    sources = listed()
    assert [(s["kind"], s["articles"]) for s in sources.values()] == [("folder", 2), ("folder", 1), ("feed", 1)]
    assert all(s["added_at"] and s["refreshed_at"] for s in sources.values())

    refreshed = report("build")  # every source read again: nothing changed, nothing written
    assert (refreshed["articles"], refreshed["unchanged"], refreshed["removed"], refreshed["chunks_embedded"]) == (
        4,
        4,
        0,
        0,
    )
    status = report("status")
    assert status["articles"] == 4 and [s["source"] for s in status["sources"]] == list(sources)

    lines = index("sources").stdout.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["folder", "2", "articles"],
        ["folder", "1", "articles"],
        ["feed", "1", "articles"],
    ]
    assert [line.split()[-1] for line in lines] == list(sources)

    also = report("add", page)  # the feed's page as a source of its own: the same article, not a second one
    assert (also["articles"], also["added"], also["unchanged"]) == (4, 0, 1)
    kept = report("remove", web.url + "/feed.xml")  # the page still gives it: it stays
    assert (kept["removed"], kept["articles"]) == (0, 4)
    gone = report("remove", page)
    assert (gone["removed"], gone["articles"]) == (1, 3)


def test_remove_drops_one_source_and_only_its_articles(archive: Path, today: Path, settings: Settings) -> None:
    report("add", str(archive), str(today))
    unknown = index("remove", str(archive.parent / "nowhere"))
    assert unknown.exit_code == 1 and "not a source of the index" in unknown.stderr
    before = state(settings)
    dry = report("remove", str(archive), "--dry-run")
    assert (dry["dry_run"], dry["removed"], dry["sources_removed"]) == (True, 2, [str(archive)])
    assert state(settings) == before  # nothing written

    removed = report("remove", str(archive))
    assert (removed["removed"], removed["articles"], removed["chunks_embedded"]) == (2, 1, 0)
    assert list(listed()) == [str(today)]
    text = index("remove", str(today))
    assert text.exit_code == 0 and f"removed source {today}" in text.stdout and "1 removed" in text.stdout
    assert state(settings)[2] == 0 and listed() == {}
    assert report("add", str(today))["articles"] == 1  # and back


def test_a_missing_source_keeps_its_articles_and_deleted_files_go(
    archive: Path, today: Path, tmp_path: Path, settings: Settings
) -> None:
    report("add", str(archive), str(today))
    story(today, "rail", "Rail strike called off", "Rail workers called off a strike after a pay rise.")
    (today / "harbour.txt").unlink()  # a file deleted from a source folder is removed
    archive.rename(tmp_path / "moved")  # the whole folder moved away: kept

    result = index("build")
    assert result.exit_code == 0, result.stderr
    assert (
        f"source missing: {archive}, its 2 articles kept; `assistant index remove {archive}` to drop them"
        in " ".join(result.stderr.split())
    )
    assert "skipped" not in result.stderr  # said once, as missing
    assert "3 articles" in result.stdout and "1 added" in result.stdout and "1 removed" in result.stdout
    assert listed()[str(archive)]["kind"] == "missing" and listed()[str(archive)]["articles"] == 2
    assert index("build", "--strict").exit_code == 1

    emptied = tmp_path / "emptied"  # an empty folder (an unmounted disk) is missing too
    (tmp_path / "moved").rename(archive)
    report("build")
    shutil.move(str(archive), emptied)
    archive.mkdir()
    again = report("build")
    assert again["missing"] == [{"source": str(archive), "articles": 2}] and again["articles"] == 3

    before = state(settings)
    refused = index("rebuild")
    assert refused.exit_code == 1 and f"cannot rebuild from {archive}: no articles found" in refused.stderr
    assert state(settings) == before


def test_dry_run_writes_nothing_and_says_what_would_happen(archive: Path, today: Path, settings: Settings) -> None:
    report("add", str(archive))
    before = state(settings)
    would = report("add", str(today), "--dry-run")
    assert (would["dry_run"], would["added"], would["chunks_embedded"], would["articles"]) == (True, 1, 1, 3)
    assert would["sources_added"] == [str(today)]
    (archive / "un-welcomes-turkey-russia-pledge.txt").unlink()
    refresh = report("build", "--dry-run")
    assert (refresh["removed"], refresh["unchanged"], refresh["articles"]) == (1, 1, 1)
    text = index("add", str(today), "--dry-run")
    assert text.exit_code == 0 and "dry run, nothing written: would add 1" in text.stdout
    assert state(settings) == before and list(listed()) == [str(archive)]
    assert not (settings.index_dir / "refreshed.json").read_text().count(str(today))


def test_a_url_that_fails_is_an_error_and_the_folder_given_with_it_is_not_added(
    archive: Path, today: Path, web: WebServer, settings: Settings
) -> None:
    report("add", str(archive))
    before = state(settings)
    result = index("add", str(today), web.url + "/missing.xml")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: cannot add {web.url}/missing.xml: HTTP 404 Not Found; nothing was changed"
    empty = archive.parent / "empty"
    empty.mkdir()
    assert "no articles found" in index("add", str(empty)).stderr
    assert state(settings) == before and list(listed()) == [str(archive)]


def test_an_index_of_the_previous_version_keeps_its_paths_as_sources(
    archive: Path, today: Path, settings: Settings
) -> None:
    report("add", str(archive), str(today))
    root = IndexDir(settings.index_dir)
    generation = root.open().manifest_path
    old = json.loads(generation.read_text())
    del old["sources"]  # what the previous version wrote: the paths only
    generation.write_text(json.dumps(old))
    (settings.index_dir / "refreshed.json").unlink()

    sources = listed()
    assert [(s["source"], s["kind"], s["articles"]) for s in sources.values()] == [
        (str(archive), "folder", 2),
        (str(today), "folder", 1),
    ]
    extra = archive.parent / "extra"
    story(extra, "chip", "Norrland opens a chip plant", "Norrland Semiconductors opened its first chip plant.")
    added = report("add", str(extra))
    assert (added["articles"], added["removed"]) == (4, 0)
    removed = report("remove", str(today))
    assert (removed["removed"], removed["articles"]) == (1, 3)


def test_a_folder_of_the_same_name_never_replaces_another_sources_articles(
    archive: Path, tmp_path: Path, settings: Settings
) -> None:
    report("add", str(archive))
    original = (archive / "un-welcomes-turkey-russia-pledge.txt").read_text()
    other = tmp_path / "elsewhere" / "archive"  # same folder name, so the same article ids
    story(other, "un-welcomes-turkey-russia-pledge", "Another story", "Under the same file name.")
    story(other, "rail", "Rail strike called off", "Rail workers called off a strike after a pay rise.")
    clash = index("add", str(other))
    assert (
        clash.exit_code == 0
        and "is already indexed from" in clash.stderr
        and "(another source): skipped" in clash.stderr
    )
    text = IndexDir(settings.index_dir).open().article("archive/un-welcomes-turkey-russia-pledge.txt").text
    assert text.split("\n")[0] in original  # the first source's article, not replaced

    copy = tmp_path / "copy" / "archive"  # the same folder copied elsewhere and added: the same articles
    shutil.copytree(archive, copy)
    same = report("add", str(copy))
    assert (same["added"], same["updated"], same["unchanged"], same["problems"]) == (0, 0, 2, [])
    kept = report("remove", str(archive))  # the copy gives them too: they stay
    assert (kept["removed"], kept["articles"]) == (0, 3)
