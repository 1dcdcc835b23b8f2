"""Reading articles: formats, metadata, boilerplate, and bad input reported without stopping."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SAMPLES

from assistant.ingestion.cleaning import strip_boilerplate
from assistant.ingestion.files import Problem, load_articles
from assistant.records import Article
from assistant.text import parse_date


def load(*paths: Path) -> tuple[list[Article], list[Problem]]:
    items = list(load_articles(list(paths)))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Problem)]


def test_sample_article_drops_trailing_link_list_and_keeps_date() -> None:
    articles, problems = load(SAMPLES / "turkey-keen-to-cooperate-with-russia.txt")
    assert problems == []
    (article,) = articles
    assert article.title == "Turkey keen to cooperate with Russia against Islamic State forces"
    assert article.published_at == "2016-08-11T23:42:00"  # "Thu, 11/08/2016": Thursday means 11 August
    assert "More from World" not in article.text
    assert "El Chapo" not in article.text
    assert "Last update" not in article.text
    assert article.text.endswith("let's see where this goes.\"")


def test_dates_are_disambiguated_by_weekday() -> None:
    assert parse_date("Thu, 11/08/2016 - 23:42") == "2016-08-11T23:42:00"
    assert parse_date("Tue, 11/08/2016") == "2016-11-08T00:00:00"
    assert parse_date("2023-11-24T10:00:00+00:00") == "2023-11-24T10:00:00+00:00"
    assert parse_date("not a date") is None


def test_an_early_related_heading_is_not_boilerplate() -> None:
    text = "Related\nThe talks went well.\n\n" + "Body sentence. " * 20
    cleaned, _ = strip_boilerplate(text)
    assert cleaned.startswith("Related\nThe talks went well.")


def test_markdown_front_matter_gives_metadata(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(
        "---\ntitle: Vote delayed\nsource: The Verge\npublished_at: 2023-11-24\nurl: https://x.test/a\n---\n"
        "# Vote delayed\n\nThe vote was delayed to December.\n"
    )
    (article,), _ = load(path)
    assert (article.title, article.source, article.url) == ("Vote delayed", "The Verge", "https://x.test/a")
    assert article.published_at == "2023-11-24T00:00:00"
    assert article.text == "# Vote delayed\n\nThe vote was delayed to December."


def test_html_keeps_main_text_only(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        """<html><head><title>Talks resume | World</title><meta property="og:site_name" content="Daily Planet">
        <script>var tracking = "secret-script-text";</script><style>.x{}</style></head><body>
        <nav><ul><li><a href="/">Home</a></li><li><a href="/world">World navigation</a></li></ul></nav>
        <article><h1>Talks resume in Geneva</h1>
        <p>Diplomats from both countries met in Geneva on Monday to resume the stalled talks.</p>
        <p>The foreign minister said progress had been made on the question of prisoners.</p></article>
        <aside><h3>More from World</h3><ul><li><a href="/a">Unrelated headline one</a></li>
        <li><a href="/b">Unrelated headline two</a></li></ul></aside><footer>Copyright</footer></body></html>"""
    )
    (article,), problems = load(path)
    assert problems == []
    assert "Diplomats from both countries met in Geneva" in article.text
    assert "progress had been made" in article.text
    for dropped in ("secret-script-text", "World navigation", "Unrelated headline", "Copyright"):
        assert dropped not in article.text
    assert article.title == "Talks resume in Geneva"
    assert article.source == "Daily Planet"


def test_jsonl_records_with_bad_lines_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    good = {
        "id": "d1",
        "title": "T",
        "source": "Fortune",
        "published_at": "2023-10-01T00:00:00+00:00",
        "url": "https://f.test",
        "body": "Some body text here.",
    }
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(good),
                "{not json",
                json.dumps({"id": "d2", "title": "no body"}),
                json.dumps({**good, "id": "d3"}),
            ]
        )
        + "\n"
    )
    articles, problems = load(path)
    assert [a.doc_id for a in articles] == ["d1", "d3"]
    assert articles[0].source == "Fortune" and articles[0].published_at == "2023-10-01T00:00:00+00:00"
    assert [(p.path, p.reason.split(":")[0]) for p in problems] == [
        (f"{path}:2", "invalid JSON"),
        (f"{path}:3", "record has no 'body' text"),
    ]


def test_json_file_with_a_list_of_records(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text(json.dumps([{"id": "a", "body": "Alpha text."}, {"id": "b", "body": "Beta text."}]))
    articles, problems = load(path)
    assert [a.doc_id for a in articles] == ["a", "b"] and problems == []


def test_bad_files_are_reported_and_good_ones_read(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "latin1.txt").write_bytes("Café in Zürich\n\nA sentence about the café.".encode("latin-1"))
    (tmp_path / "utf16.txt").write_bytes("Title in UTF-16\n\nBody text.".encode("utf-16"))
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")  # unsupported types are not picked up from folders
    articles, problems = load(tmp_path, tmp_path / "missing.txt")
    assert sorted(a.title for a in articles) == ["Café in Zürich", "Title in UTF-16"]
    reasons = {Path(p.path).name: p.reason for p in problems}
    assert reasons == {
        "empty.txt": "empty file",
        "binary.txt": "binary content, not text",
        "missing.txt": "no such file or folder",
    }
