"""Read articles from files: .txt, .md, .html, .json and .jsonl records.

`load_articles` yields an `Article` for every good article and a `Problem`
for every file (or record) that cannot be read, so one bad file never stops
the rest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.ingestion.cleaning import normalise_whitespace, strip_boilerplate
from assistant.records import Article
from assistant.text import parse_date

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
RECORD_SUFFIXES = {".json", ".jsonl"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | RECORD_SUFFIXES
MAX_TITLE_CHARS = 200
MAX_ARTICLE_MB = 10.0  # a bigger file (or JSONL line) is a dump or a log, not a news article


@dataclass(frozen=True)
class Problem:
    """Something that could not be indexed, and why."""

    path: str
    reason: str
    doc_id: str = ""  # set when the article is known but broke unexpectedly: its indexed version is kept


@dataclass(frozen=True)
class FileDone:
    """A file read to its end (`clean`: without a problem), or not read because `unchanged` said so."""

    path: str
    size: int
    mtime_ns: int
    clean: bool = True
    skipped: bool = False


Unchanged = Callable[[str, os.stat_result], bool]


def load_articles(
    paths: Iterable[Path], max_mb: float = MAX_ARTICLE_MB, unchanged: Unchanged | None = None
) -> Iterator[Article | Problem | FileDone]:
    """Every article under `paths` (files or folders, walked recursively), read one at a time.

    A file (for .jsonl: a line) over `max_mb` megabytes is reported, not read. Given
    `unchanged`, each file is followed by a `FileDone`, and a file `unchanged(path, stat)`
    vouches for is not read at all.
    """
    limit = int(max_mb * 1_000_000)
    for root in paths:
        if not root.exists():
            yield Problem(str(root), "no such file or folder")
            continue
        for path in _discover(root):
            if isinstance(path, Problem):
                yield path
                continue
            doc_id = path.name if root.is_file() else f"{root.resolve().name}/{path.relative_to(root).as_posix()}"
            try:
                stat = path.stat()
                if unchanged is not None and unchanged(str(path), stat):
                    yield FileDone(str(path), stat.st_size, stat.st_mtime_ns, skipped=True)
                    continue
                clean = True
                for item in _load_file(path, doc_id, limit):
                    clean = clean and not isinstance(item, Problem)
                    yield item
                if unchanged is not None:
                    yield FileDone(str(path), stat.st_size, stat.st_mtime_ns, clean)
            except OSError as error:
                yield Problem(str(path), error.strerror or str(error))
            except Exception as error:  # whatever else breaks on one file must not stop the rest
                known = "" if path.suffix.lower() in RECORD_SUFFIXES else doc_id
                yield Problem(str(path), unexpected(error), doc_id=known)


def unexpected(error: Exception) -> str:
    """The reason for a Problem nobody anticipated: the error's type and first line."""
    first_line = (str(error).strip().splitlines() or [""])[0][:200]
    return f"cannot read it ({type(error).__name__}{': ' + first_line if first_line else ''})"


def _discover(root: Path) -> Iterator[Path | Problem]:
    if root.is_file():
        yield (
            root if root.suffix.lower() in SUFFIXES else Problem(str(root), f"unsupported file type {root.suffix!r}")
        )
        return
    seen: set[tuple[int, int]] = set()

    def walk_error(error: OSError) -> None:
        raise error

    try:
        for folder, dirs, files in os.walk(root, followlinks=True, onerror=walk_error):
            stat = os.stat(folder)
            if (stat.st_dev, stat.st_ino) in seen:  # a symlink loop
                dirs.clear()
                continue
            seen.add((stat.st_dev, stat.st_ino))
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and Path(name).suffix.lower() in SUFFIXES:
                    yield Path(folder) / name
    except OSError as error:
        yield Problem(str(error.filename or root), error.strerror or str(error))


def _load_file(path: Path, doc_id: str, limit: int) -> Iterator[Article | Problem]:
    if path.suffix.lower() == ".jsonl":
        yield from _load_jsonl(path, limit)
        return
    if (size := path.stat().st_size) > limit:
        yield Problem(str(path), f"{size / 1e6:.1f} MB is over the {limit / 1e6:g} MB limit of one article")
        return
    raw = path.read_bytes()
    if not raw.strip():
        yield Problem(str(path), "empty file")
        return
    text = decode(raw)
    if text is None:
        yield Problem(str(path), "binary content, not text")
        return
    suffix = path.suffix.lower()
    if suffix in RECORD_SUFFIXES:
        yield from _load_records([(0, text)], path)
        return
    article = html_article(text, doc_id) if suffix in HTML_SUFFIXES else _text_article(text, doc_id)
    if not article.text.strip():
        yield Problem(str(path), "no article text found")
    else:
        yield article.model_copy(update={"path": str(path)})


def decode(raw: bytes) -> str | None:
    """Text from bytes: UTF-8 or UTF-16 (by BOM), else Latin-1; None for binary data."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in raw[:8192]:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    return None if controls > len(text[:8192]) * 0.05 else text


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end == -1:
        return {}, text
    try:
        meta = yaml.safe_load(text[4:end])
    except yaml.YAMLError:
        return {}, text
    if not isinstance(meta, dict):
        return {}, text
    return meta, text[end + 4 :].lstrip("-\n")


def _text_article(text: str, doc_id: str) -> Article:
    meta, body = _split_front_matter(normalise_whitespace(text))
    body, found_date = strip_boilerplate(body)
    title = str(meta.get("title") or "")
    if not title:
        first_line = body.split("\n", 1)[0].lstrip("#").strip()
        title = first_line if len(first_line) <= MAX_TITLE_CHARS else ""
    return _article(
        doc_id=str(meta.get("id") or doc_id),
        text=body,
        title=title,
        source=meta.get("source") or meta.get("outlet") or "",
        published_at=meta.get("published_at") or meta.get("date") or found_date,
        url=meta.get("url") or "",
    )


def html_article(html: str, doc_id: str) -> Article:
    import trafilatura  # heavy: only when there is HTML to read

    document = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=True, favor_precision=True
    )
    if document is None:
        return Article(doc_id=doc_id, text="")
    data = document if isinstance(document, dict) else document.as_dict()
    # trafilatura separates paragraphs with one newline; make them blank-line separated
    body, found_date = strip_boilerplate(normalise_whitespace((data.get("text") or "").replace("\n", "\n\n")))
    return _article(
        doc_id=doc_id,
        text=body,
        title=data.get("title") or "",
        source=data.get("sitename") or "",
        published_at=data.get("date") or found_date,
        url=data.get("url") or "",
    )


def _load_jsonl(path: Path, limit: int) -> Iterator[Article | Problem]:
    """Records of a JSON Lines file, streamed: memory stays flat however long the file."""
    with path.open("rb") as stream:
        if stream.read(2) in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: read whole, within the limit
            stream.seek(0)
            text = decode(stream.read(limit)) or ""
            yield from _load_records(enumerate(text.splitlines(), 1), path, jsonl=True)
            return
        stream.seek(0)
        found = False
        for number, raw in enumerate(_lines(stream, limit), 1):
            if raw is None:
                yield Problem(f"{path}:{number}", f"line over the {limit / 1e6:g} MB limit of one article")
            elif raw.strip():
                found = True
                line = decode(raw)
                if line is None:
                    yield Problem(f"{path}:{number}", "binary content, not text")
                else:
                    yield from _load_records([(number, line)], path, jsonl=True)
        if not found:
            yield Problem(str(path), "empty file")


def _lines(stream: Any, limit: int) -> Iterator[bytes | None]:
    """The lines of a binary stream; None for a line longer than `limit`, which is skipped unread."""
    while line := stream.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
            pass
        yield None


def _load_records(lines: Iterable[tuple[int, str]], path: Path, jsonl: bool = False) -> Iterator[Article | Problem]:
    for number, line in lines:
        if not line.strip():
            continue
        where = f"{path}:{number}" if jsonl else str(path)
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            yield Problem(where, f"invalid JSON: {error.msg} at column {error.colno}")
            continue
        records = data if isinstance(data, list) else [data]
        for index, record in enumerate(records):
            here = where if len(records) == 1 else f"{where}[{index}]"
            try:
                yield _record_article(record, here)
            except Exception as error:  # one odd record must not cost the rest of its file
                yield Problem(here, unexpected(error))


def _record_article(record: Any, where: str) -> Article | Problem:
    if not isinstance(record, dict):
        return Problem(where, "record is not a JSON object")
    body = record.get("body") or record.get("text")
    if not isinstance(body, str) or not body.strip():
        return Problem(where, "record has no 'body' text")
    if not record.get("id"):
        return Problem(where, "record has no 'id'")
    body, found_date = strip_boilerplate(normalise_whitespace(body))
    return _article(
        doc_id=str(record["id"]),
        text=body,
        title=str(record.get("title") or ""),
        source=str(record.get("source") or ""),
        published_at=record.get("published_at") or found_date,
        url=str(record.get("url") or ""),
        path=where,
    )


def _article(published_at: Any, **fields: Any) -> Article:
    date = parse_date(str(published_at)) if published_at else None
    return Article(published_at=date, **{key: str(value) for key, value in fields.items()})
