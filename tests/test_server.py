"""`assistant serve`'s API on a real uvicorn on 127.0.0.1, over a real index and the real embedder.

The model is scripted here (our own boundary: what the server does with the text
it is given, how it queues and stops); `test_reading_room.py` runs the real
`assistant serve` with the real embedded model and a real browser.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from conftest import DAESH, SAMPLES
from pydantic import SecretStr
from test_openai_backend import free_port

from assistant.answering.qa import Assistant
from assistant.backends.chat import Messages
from assistant.ingestion.indexer import build_index
from assistant.server.app import create_app
from assistant.server.client import server_sent_events
from assistant.settings import Settings

CLAIM = "The US would welcome Russia's interest in taking the fight to Islamic State [1]."


class SlowModel:
    """A scripted model that writes its reply a word at a time, `pause` seconds apart, counting what it wrote."""

    model_id = "scripted-slow"

    def __init__(self, reply: str = CLAIM, pause: float = 0.0) -> None:
        self.reply, self.pause = reply, pause
        self.prompts: list[Messages] = []
        self.pieces = 0

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        self.prompts.append(messages)
        for word in self.reply.split(" "):
            time.sleep(self.pause)
            self.pieces += 1
            yield word + " "

    def count_tokens(self, messages: Messages) -> int | None:
        return sum(len(m["content"].split()) for m in messages)


class Server:
    """uvicorn serving `create_app` in a thread, on a free port."""

    def __init__(self, settings: Settings, model: SlowModel, embedder) -> None:  # type: ignore[no-untyped-def]
        app = create_app(settings, Assistant(settings, embedder=embedder, chat_model=model))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "the server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def test_the_api_answers_searches_and_serves_the_article_a_quote_points_into(
    sample_settings: Settings, local_embedder
) -> None:
    with Server(sample_settings, SlowModel(), local_embedder) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/healthz").json() == {"ok": True}
        status = http.get("/v1/index").json()
        assert status["articles"] == 2 and status["chunks"] > 0 and status["waiting"] == 0
        (source,) = status["sources"]  # what was indexed, and the outlets its articles name (none here)
        assert (source["source"], source["kind"], source["articles"], status["outlets"]) == (
            str(SAMPLES.resolve()),
            "folder",
            2,
            [],
        )

        found = http.post("/v1/search", json={"query": DAESH, "top_k": 3}).json()
        assert len(found) == 3 and found[0]["chunk"]["doc_id"].startswith("articles/")

        answer = http.post("/v1/ask", json={"question": DAESH}).json()
        assert not answer["refused"] and answer["answer"].startswith("The US would welcome")
        (citation,) = answer["citations"]
        assert citation["verified"] and "queue_s" in answer["timings"]
        assert 0 < answer["confidence"] < 1 and "top_similarity" in answer["signals"]  # SlowModel: no probes

        article = http.get(f"/v1/articles/{citation['doc_id']}").json()
        assert article["text"][citation["char_start"] : citation["char_end"]] == citation["quote"]
        for quote in citation["quotes"]:
            assert article["text"][quote["char_start"] : quote["char_end"]] == quote["text"]
        assert article["title"] == citation["title"]

        said = http.get("/v1/quotes", params={"speaker": "Kalin"}).json()
        assert [s["person"] for s in said] == ["Ibrahim Kalin"] and "set up committees" in said[0]["text"]
        us = http.get("/v1/quotes", params={"speaker": "the US", "about": "Russia fight", "limit": 1}).json()
        assert [s["speaker"] for s in us] == ["US State Department spokeswoman Elizabeth Trudeau"]
        bad = http.get("/v1/quotes", params={"since": "someday"})
        assert bad.status_code == 422 and "YYYY-MM-DD" in str(bad.json()["detail"])

        missing = http.get("/v1/articles/articles/no-such-article.txt")
        assert missing.status_code == 404 and "no-such-article" in missing.json()["detail"]
        schema = http.get("/openapi.json").json()
        assert {"/v1/ask", "/v1/search", "/v1/quotes", "/v1/index", "/v1/articles/{doc_id}"} <= set(schema["paths"])


def test_bad_requests_are_422_with_a_message(sample_settings: Settings, local_embedder) -> None:
    with Server(sample_settings, SlowModel(), local_embedder) as server, httpx.Client(base_url=server.url) as http:
        empty = http.post("/v1/ask", json={"question": ""})
        assert empty.status_code == 422 and "at least 1 character" in json.dumps(empty.json()["detail"])
        assert (
            http.post("/v1/ask", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422
        )
        assert http.post("/v1/ask", json={"question": DAESH, "colour": "red"}).status_code == 422
        bad_date = http.post("/v1/search", json={"query": DAESH, "since": "last spring"})
        assert bad_date.status_code == 422 and "not a date" in bad_date.json()["detail"]


def test_a_body_over_the_cap_is_413_and_every_response_carries_the_security_headers(
    sample_settings: Settings, local_embedder
) -> None:
    """A 2 MB question is turned away before the model sees it, announced or streamed in chunks; the page
    may run only its own script and style."""
    model = SlowModel()
    with Server(sample_settings, model, local_embedder) as server, httpx.Client(base_url=server.url) as http:
        big = http.post("/v1/ask", json={"question": "x" * 2_000_000})
        assert big.status_code == 413 and big.json()["detail"] == "the request body is over 1 MB"

        def pieces() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"question": "'
            for _ in range(20):
                yield b"x" * 100_000
            yield b'"}'

        streamed = http.post("/v1/ask", content=pieces(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413 and model.prompts == []
        page = http.get("/")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "content-security-policy" in http.get("/v1/index").headers
        for response in (page, big, http.get("/static/app.js"), http.get("/docs")):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
        assert http.post("/v1/ask", json={"question": DAESH}).status_code == 200  # and it still answers


HOSTILE = """<script>window.pwned = "title"</script> Harbour <img src=x onerror="window.pwned = 'title img'">

The harbour authority said fees would rise by 4 percent next year <script>window.pwned = "text"</script>.
An inspector added that <img src=x onerror="window.pwned = 'text img'"> ships must now book a berth.
"""


def test_an_article_holding_markup_shows_as_text_in_the_browser_and_runs_nothing(
    tmp_path: Path, local_embedder
) -> None:
    """Title and text with <script> and <img onerror>: the page shows them as characters; none runs."""
    from playwright.sync_api import sync_playwright

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "harbour.txt").write_text(HOSTILE)
    settings = Settings(index_dir=tmp_path / "index")
    build_index([tmp_path / "corpus"], settings, embedder=local_embedder)
    model = SlowModel("The harbour authority said fees would rise by 4 percent next year [1].")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with Server(settings, model, local_embedder) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(server.url)
        page.fill("#question", "What did the harbour authority say about fees?")
        page.keyboard.press("Enter")
        page.wait_for_selector(".turn .cite", timeout=60_000)
        page.click(".turn .cite")
        page.wait_for_selector("#source-text mark")
        shown = page.inner_text("#source-panel")
        assert "<script>" in shown and "onerror" in shown  # the markup is text, not elements
        assert page.evaluate("typeof window.pwned") == "undefined"  # nothing ran
        assert page.locator("#source-panel script, #source-panel img, .turn script, .turn img").count() == 0
        browser.close()


def test_a_streamed_answer_is_text_then_citations_then_done(sample_settings: Settings, local_embedder) -> None:
    with Server(sample_settings, SlowModel(), local_embedder) as server, httpx.Client(base_url=server.url) as http:
        with http.stream("POST", "/v1/ask", json={"question": DAESH, "stream": True}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            received = list(server_sent_events(response.iter_lines()))
    names = [name for name, _ in received]
    assert names[-2:] == ["citations", "done"] and set(names[:-2]) == {"text"} and len(names) > 3
    text = "".join(data["delta"] for name, data in received if name == "text")  # type: ignore[index]
    done = received[-1][1]
    assert text == done["answer"] and done["citations"] == received[-2][1]  # type: ignore[index]
    assert done["timings"]["total_s"] > 0  # type: ignore[index]


def test_a_full_queue_is_503_with_retry_after_and_every_admitted_question_is_answered(
    sample_settings: Settings, local_embedder
) -> None:
    settings = sample_settings.model_copy(update={"server_queue": 1})
    model = SlowModel(pause=0.15)  # 14 words: about 2 s an answer
    with Server(settings, model, local_embedder) as server:
        results: list[object] = []

        def ask() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                response = http.post("/v1/ask", json={"question": DAESH})
                results.append((response.status_code, response.headers.get("retry-after"), response.json()))

        first = threading.Thread(target=ask)
        first.start()
        time.sleep(0.8)  # the first is generating
        second = threading.Thread(target=ask)
        second.start()
        with httpx.Client(base_url=server.url) as http:
            deadline = time.monotonic() + 10
            while http.get("/v1/index").json()["waiting"] < 1:  # the second waits in the queue
                assert time.monotonic() < deadline, "the second question was never queued"
                time.sleep(0.05)
            turned_away = http.post("/v1/ask", json={"question": DAESH})
            waiting = http.get("/v1/index").json()["waiting"]
        first.join(30)
        second.join(30)
    assert turned_away.status_code == 503 and int(turned_away.headers["retry-after"]) >= 1
    assert "busy" in turned_away.json()["detail"] and waiting == 1
    assert [status for status, _, _ in results] == [200, 200]  # type: ignore[misc]
    waits = sorted(body["timings"]["queue_s"] for _, _, body in results)  # type: ignore[index]
    assert waits[0] < 0.5 < waits[1]  # the second waited for the first


def test_a_client_that_goes_away_stops_its_generation(sample_settings: Settings, local_embedder) -> None:
    long_reply = " ".join(["The US would welcome Russia's interest in taking the fight to Islamic State."] * 20)
    model = SlowModel(long_reply, pause=0.05)  # 280 words: 14 s if written to the end
    with Server(sample_settings, model, local_embedder) as server:
        with httpx.Client(base_url=server.url) as http:
            with http.stream("POST", "/v1/ask", json={"question": DAESH, "stream": True}) as response:
                for name, _ in server_sent_events(response.iter_lines()):
                    if name == "text":
                        break  # and the connection closes
        time.sleep(2)
        written = model.pieces
        time.sleep(1)
        assert model.pieces == written < 280  # stopped, not running on in the background
        model.reply, model.pause = CLAIM, 0.0
        with httpx.Client(base_url=server.url) as http:  # the model is free for the next question at once
            assert http.post("/v1/ask", json={"question": DAESH}, timeout=10).json()["citations"]


def test_a_token_guards_every_api_request(sample_settings: Settings, local_embedder) -> None:
    settings = sample_settings.model_copy(update={"server_token": SecretStr("s3cret-token")})
    with Server(settings, SlowModel(), local_embedder) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/v1/index").status_code == 401
        wrong = http.post("/v1/search", json={"query": DAESH}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        right = {"Authorization": "Bearer s3cret-token"}
        assert http.get("/v1/index", headers=right).status_code == 200
        assert http.post("/v1/search", json={"query": DAESH}, headers=right).status_code == 200
        assert http.get("/healthz").status_code == 200 and http.get("/").status_code == 200  # no data in either


def test_an_index_rebuilt_underneath_is_read_at_the_next_request(
    tmp_path: Path, local_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    first, second = sorted(SAMPLES.glob("*.txt"))[:2]
    shutil.copy(first, corpus)
    settings = Settings(index_dir=tmp_path / "index")
    build_index([corpus], settings, embedder=local_embedder)
    with Server(settings, SlowModel(), local_embedder) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/v1/index").json()["articles"] == 1
        shutil.copy(second, corpus)
        build_index([corpus], settings, embedder=local_embedder)
        assert http.get("/v1/index").json()["articles"] == 2
        found = http.post("/v1/search", json={"query": DAESH, "top_k": 10}).json()
        assert {p["chunk"]["doc_id"] for p in found} == {f"corpus/{first.name}", f"corpus/{second.name}"}
