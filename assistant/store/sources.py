"""The sources a user added (folders, files, URLs) and which articles each one gave.

A generation keeps, for each source, the ids of the articles it gave when last read
(`Manifest.sources`). A build reads some sources, and only articles those sources
gave before and no longer give, and that no other source gives, are removed: so
adding a folder never touches the others, and a source that gives nothing at all (a
moved folder, an unmounted disk) keeps its articles until it is removed on purpose.
When each source was last read is kept beside the generations (`refreshed.json`):
a refresh that changes nothing writes no generation.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REFRESHED = "refreshed.json"  # source -> when it was last read, in the index folder
_RECORD = re.compile(r"(:\d+)?(\[\d+\])?$")  # "file.jsonl:12", "file.json[3]": a record of a file


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def normalise(source: str | Path) -> str:
    """A source as it is remembered: a URL as given, a path absolute with links resolved."""
    text = str(source)
    return text if is_url(text) else str(Path(text).expanduser().resolve())


def is_under(path: str, source: str) -> bool:
    """Whether the file `path` (or a record of it) is `source` or lies in the folder `source`."""
    path = _RECORD.sub("", path)
    return path == source or path.startswith(source.rstrip(os.sep) + os.sep)


def reachable(web: Mapping[str, dict[str, Any]], url: str) -> set[str]:
    """The URLs whose state `url` leads to: itself, a sitemap's children, a feed's or sitemap's pages."""
    found: set[str] = set()
    todo = [url]
    while todo:
        current = todo.pop()
        if current in found or current not in web:
            continue
        found.add(current)
        state = web[current]
        todo += [*state.get("children", []), *state.get("listed", {}), *state.get("former", {})]
    return found


def attribution(
    sources: Mapping[str, dict[str, Any]], live: Mapping[str, tuple[dict[str, Any], int]], web: Mapping[str, Any]
) -> dict[str, set[str]]:
    """Each source's articles. An index written before sources were tracked has them worked out:
    a path's are the articles read from files under it, a URL's those its pages gave, and an
    article nothing claims is counted as every source's, so that it is never dropped by accident."""
    if all("doc_ids" in record for record in sources.values()):
        return {source: set(record["doc_ids"]) for source, record in sources.items()}
    claimed: dict[str, set[str]] = {}
    for source in sources:
        if is_url(source):
            claimed[source] = {d for url in reachable(web, source) for d in web[url].get("doc_ids", [])}
        else:
            claimed[source] = {d for d, (entry, _) in live.items() if is_under(entry.get("path", ""), source)}
    unclaimed = set(live).difference(*claimed.values())
    return {source: doc_ids | unclaimed for source, doc_ids in claimed.items()}


def carried_files(files: Mapping[str, dict[str, Any]], sources: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The file states under `sources` (paths not read this time, whose states stay as they were)."""
    folders = [s for s in sources if not is_url(s)]
    return {path: state for path, state in files.items() if any(is_under(path, s) for s in folders)}


def carried_web(web: Mapping[str, dict[str, Any]], sources: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The URL states `sources` lead to (URLs not read this time, whose states stay as they were)."""
    urls = set().union(*(reachable(web, s) for s in sources if is_url(s)))
    return {url: state for url, state in web.items() if url in urls}


@dataclass
class SourceInfo:
    source: str
    kind: str  # folder, file, missing (a path no longer there); feed, sitemap, page, url (never read)
    articles: int  # of the index's articles, those this source gave
    added_at: str | None
    refreshed_at: str | None  # when it was last read


def source_infos(
    sources: Mapping[str, dict[str, Any]],
    live: Mapping[str, tuple[dict[str, Any], int]],
    web: Mapping[str, dict[str, Any]],
    refreshed: Mapping[str, str],
) -> list[SourceInfo]:
    """What `assistant index sources` lists: each source's kind, articles and last reading."""
    claimed = attribution(sources, live, web)
    infos = []
    for source, record in sources.items():
        if is_url(source):
            kind = web.get(source, {}).get("kind", "url")
        else:
            path = Path(source)
            kind = "folder" if path.is_dir() else "file" if path.is_file() else "missing"
        count = sum(1 for doc_id in claimed.get(source, ()) if doc_id in live)
        infos.append(SourceInfo(source, kind, count, record.get("added_at"), refreshed.get(source)))
    return infos


def read_refreshed(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / REFRESHED).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
