"""The index, with the real local embedder and a real Chroma store in a temp dir."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import DAESH, SAMPLES, CountingEmbedder, assert_whole, row_outlets

from assistant.answering.qa import Assistant
from assistant.answering.retrieval import Filters
from assistant.errors import IndexMismatchError, IndexMissingError, InputError
from assistant.ingestion import files as ingest
from assistant.ingestion import indexer
from assistant.ingestion.indexer import build_index, index_status, merge_segments
from assistant.settings import Settings
from assistant.store import Index, IndexDir
from assistant.store.bm25 import Postings
from assistant.store.index import FORMAT_VERSION


def records(*rows: dict[str, str]) -> str:
    return "\n".join(json.dumps(row) for row in rows) + "\n"


def article(doc_id: str, source: str, date: str, body: str) -> dict[str, str]:
    return {"id": doc_id, "title": f"Title {doc_id}", "source": source, "published_at": date, "url": "", "body": body}


def test_build_then_unchanged_articles_are_not_embedded_again(
    tmp_path: Path, settings: Settings, embedder: CountingEmbedder
) -> None:
    corpus = tmp_path / "articles"
    shutil.copytree(SAMPLES, corpus)
    first = build_index([corpus], settings, embedder=embedder)
    assert (first.articles, first.added, first.problems) == (2, 2, [])
    assert first.chunks == first.chunks_embedded == len(embedder.texts) > 2

    embedder.texts.clear()
    generation = IndexDir(settings.index_dir).open().name
    second = build_index(None, settings, embedder=embedder)  # the remembered paths
    assert (second.unchanged, second.added, second.chunks_embedded, embedder.texts) == (2, 0, 0, [])
    assert IndexDir(settings.index_dir).open().name == generation  # nothing changed, nothing written

    changed = corpus / "un-welcomes-turkey-russia-pledge.txt"
    changed.write_text(changed.read_text() + "\nA new closing sentence about the talks.\n")
    (corpus / "turkey-keen-to-cooperate-with-russia.txt").unlink()
    (corpus / "new.md").write_text("# A new article\n\nIt talks about something else entirely.\n")
    third = build_index([corpus], settings, embedder=embedder)
    assert (third.added, third.updated, third.removed, third.unchanged) == (1, 1, 1, 0)
    assert all("Turkey keen" not in text for text in embedder.texts)
    status = index_status(settings)
    assert status.articles == 2 and status.chunks == third.chunks
    assert status.paths == [str(corpus.resolve())]
    assert_whole(IndexDir(settings.index_dir).open())


def test_rebuild_starts_a_new_generation_and_keeps_the_same_content(
    settings: Settings, embedder: CountingEmbedder
) -> None:
    build_index([SAMPLES], settings, embedder=embedder)
    old = IndexDir(settings.index_dir).open().segments[0].folder
    embedder.texts.clear()
    report = build_index(None, settings, rebuild=True, embedder=embedder)
    new = IndexDir(settings.index_dir).open().segments[0].folder
    assert new != old and old.exists()  # the replaced generation stays one round for readers
    assert report.chunks_embedded == report.chunks == len(embedder.texts)
    build_index(None, settings, rebuild=True, embedder=embedder)
    assert not old.exists() and new.exists()
    assert [p.name for p in IndexDir(settings.index_dir).generations()] == ["gen-000002.json", "gen-000003.json"]


def test_no_index_and_no_paths_are_clear_errors(settings: Settings, embedder: CountingEmbedder) -> None:
    with pytest.raises(IndexMissingError, match="assistant index add"):
        index_status(settings)
    with pytest.raises(InputError, match="no paths"):
        build_index(None, settings, embedder=embedder)


def test_an_index_of_another_embedding_model_is_refused(sample_settings: Settings) -> None:
    class OtherModel:
        model_id = "openai:text-embedding-3-small"

        def embed(self, texts: list[str]):  # pragma: no cover - never reached
            raise AssertionError

    with pytest.raises(IndexMismatchError, match="index rebuild"):
        Assistant(sample_settings, embedder=OtherModel()).retrieve(DAESH)  # type: ignore[arg-type]
    with pytest.raises(IndexMismatchError):
        build_index(None, sample_settings, embedder=OtherModel())  # type: ignore[arg-type]


def test_hybrid_retrieval_finds_the_state_department_passage(sample_settings: Settings, local_embedder) -> None:
    passages = Assistant(sample_settings, embedder=local_embedder).retrieve(DAESH, top_k=4)
    assert any("State Department" in p.chunk.text for p in passages[:3])
    assert all(p.similarity is not None for p in passages)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_unrelated_questions_retrieve_nothing(sample_settings: Settings, local_embedder) -> None:
    assert Assistant(sample_settings, embedder=local_embedder).retrieve("Best sourdough bread recipe?") == []


def test_filters_on_outlet_and_dates(tmp_path: Path, settings: Settings, local_embedder) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        records(
            article("v1", "The Verge", "2023-11-24T10:00:00+00:00", "Apple shipped a new iPhone update on Friday."),
            article("f1", "Fortune", "2023-10-02T10:00:00+00:00", "Apple shares rose after the iPhone launch."),
            article("f2", "Fortune", "2023-12-05T10:00:00+00:00", "Apple faced an iPhone lawsuit in December."),
            article("v2", "The Verge", "2023-10-15T10:00:00+00:00", "iPhone sales in October lifted Apple."),
        )
    )
    build_index([path], settings, embedder=local_embedder)
    assistant = Assistant(settings, embedder=local_embedder)
    index = IndexDir(settings.index_dir).open()
    assert row_outlets(index) == ["the verge"] * 2 + ["fortune"] * 2  # grouped
    for row in range(4):  # Chroma's hits map to their rows
        assert index.dense(index.vector(row), 1)[0][0] == row

    def docs(**options: object) -> set[str]:
        return {p.chunk.doc_id for p in assistant.retrieve("Apple iPhone", filters=Filters.parse(**options))}

    assert docs() == {"v1", "f1", "f2", "v2"}
    assert docs(sources=["fortune"]) == {"f1", "f2"}
    assert docs(sources=["The Verge", "Fortune"], until="2023-10-31") == {"f1", "v2"}
    assert docs(since="2023-11-01") == {"v1", "f2"}
    assert docs(until="2023-11-24") == {"v1", "f1", "v2"}  # a bare date includes that whole day
    assert docs(sources=["Fortune"], since="2023-11-01", until="2023-12-31") == {"f2"}
    assert docs(sources=["Wired"]) == set()
    with pytest.raises(InputError, match="since: not a date"):
        Filters.parse(since="last autumn-ish")


def test_langchain_retriever_returns_documents_with_offsets(sample_settings: Settings) -> None:
    from assistant.langchain_retriever import ArticleRetriever

    docs = ArticleRetriever(settings=sample_settings, top_k=3).invoke(DAESH)
    assert 0 < len(docs) <= 3
    assert any("State Department" in doc.page_content for doc in docs)
    first = docs[0].metadata
    assert first["char_end"] - first["char_start"] == len(docs[0].page_content)
    assert first["doc_id"].startswith("articles/")


def test_outlets_and_dates_named_in_a_question_get_searches_of_their_own() -> None:
    from assistant.answering.mentions import mentioned_dates, mentioned_sources
    from assistant.answering.retrieval import plan_searches

    sources = {"The Age", "Fortune", "The Independent - Sports", "The Independent - Life and Style", "Wired"}
    question = (
        "Did Fortune (October 12, 2023) and 'The Age' agree, and what did The Independent - Sports say on "
        "2023-11-06? The wired article does not count."
    )
    assert [m[0] for m in mentioned_sources(question, sources)] == ["Fortune", "The Age", "The Independent - Sports"]
    assert [str(d) for d in mentioned_dates(question)] == ["2023-10-12", "2023-11-06"]
    plans = plan_searches(question, Filters(), sources)
    assert plans[0] == Filters()
    assert [p.sources for p in plans[1:4]] == [("Fortune",), ("The Age",), ("The Independent - Sports",)]
    assert (plans[4].since, plans[4].until) == ("2023-10-11", "2023-10-13T23:59:59")
    # a user's own filters win: only the outlets they allow, no date searches
    narrowed = plan_searches(question, Filters(sources=("the age",), since="2023-01-01"), sources)
    assert [p.sources for p in narrowed] == [("the age",), ("The Age",)]


def test_an_index_from_another_tokenizer_is_refused_then_rebuilt_by_a_build(
    sample_settings: Settings, local_embedder
) -> None:
    meta = IndexDir(sample_settings.index_dir).open().segments[0].folder / "meta.json"
    meta.write_text(meta.read_text().replace('"tokenizer": "', '"tokenizer": "old-'))
    with pytest.raises(IndexMismatchError, match="another tokenizer: run `assistant index rebuild`"):
        Assistant(sample_settings, embedder=local_embedder).retrieve(DAESH)
    report = build_index(None, sample_settings, embedder=local_embedder)
    assert report.chunks_embedded == report.chunks > 0
    assert Assistant(sample_settings, embedder=local_embedder).retrieve(DAESH)


def test_outlets_a_question_cites_but_the_index_lacks_are_found() -> None:
    from assistant.answering.mentions import unknown_outlets

    sources = {"The Verge", "Fortune", "TechCrunch", "The Independent - Life and Style"}
    assert unknown_outlets(
        "Did a Forbes article and a report from The Wall Street Journal on the merger agree?", sources
    ) == [
        "Forbes",
        "The Wall Street Journal",
    ]
    assert unknown_outlets("As reported by Reuters, and in the Verge article, who won?", sources) == ["Reuters"]
    assert unknown_outlets(
        "Given an article from Fortune on the merger and another from The Washington Post detailing its costs, "
        "and the figures provided by Bloomberg, who gains?",
        sources,
    ) == ["The Washington Post", "Bloomberg"]
    for fine in (
        "Does the Fortune article on Sam Bankman-Fried's trial agree with The Verge's coverage?",
        "Did 'The Independent - Life and Style' article published on October 12, 2023 say so?",
        "Did the TechCrunch report on December 4, 2023 mention it?",
        "What did Elon Musk say, according to Fortune?",
        "Did one TechCrunch article and another from The Verge, discussing the data provided by Fortune, agree?",
    ):
        assert unknown_outlets(fine, sources) == [], fine
    titled = "Does the 'NBA Rookie of the Year Odds' article from Fortune agree?"
    assert unknown_outlets(titled, sources) == ["Year Odds"]  # read as an outlet, unless it is a title:
    assert unknown_outlets(titled, sources, titles=["NBA Rookie of the Year Odds 2023/24"]) == []


def test_names_no_article_uses_are_found() -> None:
    from assistant.answering.mentions import unknown_names

    used = {"the", "did", "microsoft", "planner", "verge", "turkey"}  # stop words count as used

    def is_known(word: str) -> bool:
        return word.lower() in used

    question = "What did Vandita Pant say about Microsoft Planner, per The Verge and a report on ZDNet?"
    assert unknown_names(question, is_known) == ["Vandita", "Pant", "ZDNet"]
    # the first word of a sentence and acronyms are no names
    assert unknown_names("Considering the NATO summit. Did Turkey agree? The US did.", is_known) == []


def test_an_index_of_an_older_format_is_refused_until_a_build_rebuilds_it(
    sample_settings: Settings, local_embedder
) -> None:
    manifest_path = IndexDir(sample_settings.index_dir).open().manifest_path
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 1
    manifest["paths"] = [str(SAMPLES.resolve())]
    manifest_path.write_text(json.dumps(manifest))
    for attempt in (
        lambda: Assistant(sample_settings, embedder=local_embedder).retrieve(DAESH),
        lambda: index_status(sample_settings),
    ):
        with pytest.raises(IndexMismatchError, match=f"format 1, this version reads {FORMAT_VERSION}: run `assistant"):
            attempt()
    report = build_index(None, sample_settings, embedder=local_embedder)  # from the remembered paths
    assert report.articles == report.added == 2 and Assistant(sample_settings, embedder=local_embedder).retrieve(DAESH)


def test_a_build_writes_only_what_changed_and_reads_only_changed_files(
    tmp_path: Path, settings: Settings, embedder: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [path.read_text() for path in sorted(SAMPLES.glob("*.txt"))]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(1, 5):
        (corpus / f"a{i}.jsonl").write_text(
            records(article(f"a{i}", "Wire", f"2023-10-0{i}", f"Dispatch {i}.\n\n{texts[i % 2]}"))
        )
    for path in corpus.iterdir():  # written a minute ago: not "racy" (see indexer.RACY_NS)
        os.utime(path, ns=(time.time_ns() - 60 * 10**9,) * 2)
    build_index([corpus], settings, embedder=embedder)
    first = IndexDir(settings.index_dir).open().segments[0].folder
    written = {
        path: path.stat().st_mtime_ns for path in first.rglob("*") if path.is_file() and "chroma" not in path.parts
    }

    (corpus / "a1.jsonl").write_text(
        records(article("a1", "Wire", "2023-10-01", "A correction about harbour fees in Geneva."))
    )
    (corpus / "a2.jsonl").unlink()
    (corpus / "a9.jsonl").write_text(records(article("a9", "Post", "2023-11-01", "A new dispatch about harbour fees.")))
    read: list[str] = []
    built: list[int] = []
    load_file, build_postings = ingest._load_file, Postings.build
    monkeypatch.setattr(ingest, "_load_file", lambda path, *args: read.append(path.name) or load_file(path, *args))
    monkeypatch.setattr(
        Postings, "build", staticmethod(lambda tokens: built.append(len(tokens)) or build_postings(tokens))
    )
    embedder.texts.clear()
    report = build_index([corpus], settings, embedder=embedder)
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 2)
    assert sorted(read) == ["a1.jsonl", "a9.jsonl"]  # a3 and a4 were not even read
    read.clear()
    build_index([corpus], settings, embedder=embedder)
    assert sorted(read) == ["a1.jsonl", "a9.jsonl"]  # just written: read again until they settle
    index = IndexDir(settings.index_dir).open()
    assert [len(segment) for segment in index.segments][1:] == built == [len(embedder.texts)] == [2]
    assert {path: path.stat().st_mtime_ns for path in written} == written  # the old segment was not touched
    assert index.manifest().segments[0]["deleted"] == ["a1", "a2"]
    assert_whole(index)
    assert set(index.articles) == {"a1", "a3", "a4", "a9"}
    passages = Assistant(settings, embedder=embedder).retrieve("harbour fees Geneva")
    assert passages[0].chunk.doc_id == "a1" and "correction" in passages[0].chunk.text


def test_segments_are_merged_and_scores_match_an_index_built_at_once(
    tmp_path: Path, settings: Settings, embedder: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexer, "MAX_SEGMENTS", 3)
    texts = [path.read_text() for path in sorted(SAMPLES.glob("*.txt"))]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(1, 7):  # six builds, one article each, one of them changed every time
        (corpus / f"a{i}.jsonl").write_text(
            records(article(f"a{i}", "Wire", f"2023-10-0{i}", f"Dispatch {i}.\n\n{texts[i % 2]}"))
        )
        (corpus / "a1.jsonl").write_text(
            records(article("a1", "Wire", "2023-10-01", f"Version {i} of a note on harbour fees."))
        )
        build_index([corpus], settings, embedder=embedder)
        assert len(IndexDir(settings.index_dir).open().segments) <= 3
    index = IndexDir(settings.index_dir).open()
    assert_whole(index)
    assert len(list((settings.index_dir / "segments").iterdir())) <= 6  # merged-away segments are removed

    scratch = settings.model_copy(update={"index_dir": tmp_path / "scratch"})
    build_index([corpus], scratch, embedder=embedder)
    fresh = IndexDir(scratch.index_dir).open()
    assert_same_rows(index, fresh)
    merge_segments(index.root, manifest := index.manifest(), most=1)  # all in one: no deleted rows left
    merged = index.root.publish(manifest)
    assert len(merged.segments) == 1
    assert_same_rows(merged, fresh, exact=True)


def assert_same_rows(one: Index, other: Index, exact: bool = False) -> None:
    """Same live chunks with the same vectors, outlets and dates; BM25 scores equal (exact) or ranked alike."""
    live = {one.chunk_id(int(r)): int(r) for r in np.flatnonzero(one.alive)}
    theirs = {other.chunk_id(int(r)): int(r) for r in np.flatnonzero(other.alive)}
    assert sorted(live) == sorted(theirs)
    rows, their_rows = list(live.values()), [theirs[cid] for cid in live]
    np.testing.assert_allclose(
        np.stack([one.vector(r) for r in rows]), np.stack([other.vector(r) for r in their_rows]), atol=1e-6
    )
    outlets_one, outlets_other = row_outlets(one), row_outlets(other)
    assert [outlets_one[r] for r in rows] == [outlets_other[r] for r in their_rows]
    np.testing.assert_array_equal(one.timestamps[rows], other.timestamps[their_rows])
    for query in ("harbour fees Geneva", "Russia Daesh State Department", "Turkey cooperate"):
        mine, fresh = one.keyword_scores(query)[rows], other.keyword_scores(query)[their_rows]
        assert fresh.any()
        if exact:
            np.testing.assert_allclose(mine, fresh, rtol=1e-5)
        else:
            assert np.argmax(mine) == np.argmax(fresh)


def test_a_large_segment_keeps_projected_vectors_in_chroma_and_its_hits_are_rescored_exactly(
    tmp_path: Path, settings: Settings, local_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.store import segment as segment_module

    monkeypatch.setattr(segment_module, "PROJECT_ROWS", 20)
    monkeypatch.setattr(segment_module, "PROJECTED_SHARE", 24)  # 16 of 384
    paragraphs = [
        p for path in sorted(SAMPLES.glob("*.txt")) for p in path.read_text().split("\n\n") if len(p.split()) > 8
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text(records(*(article(f"p{i}", "Wire", "2023-10-01", text) for i, text in enumerate(paragraphs))))
    build_index([path], settings, embedder=local_embedder)
    index = IndexDir(settings.index_dir).open()
    (segment,) = index.segments
    rows = len(segment)
    assert rows >= 20 and segment.projection.shape == (384, 16)
    stored = segment.collection.get(include=["embeddings"])
    assert np.asarray(stored["embeddings"]).shape == (rows, 16)  # Chroma holds the projection
    vectors = np.stack([index.vector(row) for row in range(rows)])
    for row in range(rows):  # each row finds itself, its cosine read from its exact vector
        assert index.dense(vectors[row], 5)[0] == (row, pytest.approx(1.0, abs=1e-5))
    overlap = []
    for question in (DAESH, "Who blamed whom for the siege of Aleppo?", "What did Turkey say?", "harbour fees"):
        query = local_embedder.embed([question])[0]
        hits = index.dense(query, 5)
        exact = vectors @ query
        for row, cosine in hits:
            assert cosine == pytest.approx(float(exact[row]), abs=1e-5)
        overlap.append(len({row for row, _ in hits} & set(np.argsort(-exact)[:5].tolist())) / 5)
        # a filtered search ranks the segment's rows by their projected vectors, then the best 4 x 2 exactly
        found = index.exact_dense(query, np.arange(rows), 2)
        assert [row for row, _ in found] == np.argsort(-exact)[:2].tolist()
    assert np.mean(overlap) >= 0.9
    assert segment.projected.shape == (rows, 16)

    # a small segment beside it keeps whole vectors; merged, the rows keep their exact vectors
    (tmp_path / "more.jsonl").write_text(records(article("x1", "Wire", "2023-10-02", "A note on harbour fees.")))
    build_index([path, tmp_path / "more.jsonl"], settings, embedder=local_embedder)
    index = IndexDir(settings.index_dir).open()
    assert [s.projection is None for s in index.segments] == [False, True]
    merge_segments(index.root, manifest := index.manifest(), most=1)
    merged = index.root.publish(manifest)
    assert_whole(merged)
    assert merged.segments[0].projection is not None
    np.testing.assert_allclose(np.stack([merged.vector(row) for row in range(rows)]), vectors, atol=1e-6)
