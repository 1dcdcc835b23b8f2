"""The real `assistant serve` (embedded model, sample index) on 127.0.0.1: its thin clients and its web page.

The page is driven in Debian's chromium, headless, by Playwright (no browser download).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import DAESH
from test_openai_backend import free_port

from assistant.settings import Settings

pytestmark = pytest.mark.llm
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "assistant", *args]
    return subprocess.run(command, env=env, input=stdin, capture_output=True, text=True, timeout=600)


@contextmanager
def assistant_serve(folder: Path, env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """`assistant serve` as its own process on a free 127.0.0.1 port, once it answers; yields its URL and log."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port)], env=env, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"assistant serve did not start: {log.read_text()[-2000:]}")
                time.sleep(0.5)
        yield url, log
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextmanager
def page_at(url: str) -> Iterator[Any]:
    """The page at `url` in headless chromium, as a desktop's window."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        yield page
        browser.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sample_index_dir: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`assistant serve` over a copy of the sample index; yields its URL and the environment of its clients."""
    folder = tmp_path_factory.mktemp("served")
    shutil.copytree(sample_index_dir, folder / "index")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_INDEX_DIR": str(folder / "index"), "XDG_CONFIG_HOME": str(folder / "config")}
    with assistant_serve(folder, env) as (url, log):
        # a client that tried to load a model of its own would fail on this path
        yield url, env | {"ASSISTANT_SERVER_URL": url, "ASSISTANT_LLM_MODEL": str(folder / "no-model.gguf")}
    assert "Traceback" not in log.read_text()


def test_ask_and_search_are_thin_clients_of_the_server(served: tuple[str, dict[str, str]]) -> None:
    url, env = served
    answer = cli("ask", DAESH, "--json", env=env)
    assert answer.returncode == 0, answer.stderr
    parsed = json.loads(answer.stdout)
    assert not parsed["refused"] and parsed["models"]["llm"].startswith("local:")  # the server's model
    assert any("State Department" in c["quote"] for c in parsed["citations"])

    text = cli("ask", DAESH, env=env)  # streamed, with its sources, as a local `ask` prints them
    assert text.returncode == 0 and text.stdout.startswith(parsed["answer"][:40]) and "Sources" in text.stdout

    remote = json.loads(cli("search", DAESH, "--json", "-k", "3", env=env).stdout)
    local_env = {k: v for k, v in env.items() if k != "ASSISTANT_SERVER_URL"}
    local = json.loads(cli("search", DAESH, "--json", "-k", "3", env=local_env).stdout)
    assert [p["chunk"]["chunk_id"] for p in remote] == [p["chunk"]["chunk_id"] for p in local]

    down = cli("ask", DAESH, env=env | {"ASSISTANT_SERVER_URL": f"http://127.0.0.1:{free_port()}"})
    assert down.returncode == 1 and "cannot reach the assistant server" in down.stderr
    assert "Traceback" not in down.stderr and len(down.stderr.strip().splitlines()) == 1


def test_a_chat_front_end_gets_the_real_models_cited_answer_through_the_openai_sdk(
    served: tuple[str, dict[str, str]],
) -> None:
    import openai

    url, _ = served
    completion = openai.OpenAI(base_url=f"{url}/v1", api_key="none", max_retries=0).chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": DAESH}]
    )
    text, sources = completion.choices[0].message.content.split("\n\nSources\n")
    citations = completion.model_extra["citations"]
    assert citations and not completion.model_extra["refused"] and completion.model_extra["confidence"] > 0
    for citation in citations:
        assert f"[{citation['n']}]" in text and f"“{citation['quote']}”" in sources
        with urllib.request.urlopen(f"{url}/v1/articles/{citation['doc_id']}") as response:
            article = json.load(response)
        assert article["text"][citation["char_start"] : citation["char_end"]] == citation["quote"]
    assert any("State Department" in c["quote"] for c in citations)


def test_chat_goes_on_from_question_to_follow_up_with_its_commands(served: tuple[str, dict[str, str]]) -> None:
    _, env = served
    lines = [DAESH, "And what did the UN say?", "/sources", "/open", "/reset", "/nonsense", "/quit"]
    session = cli("chat", env=env, stdin="\n".join(lines) + "\n")
    assert session.returncode == 0, session.stderr
    assert session.stdout.count("\nSources\n") == 3  # two answers, then /sources
    assert session.stdout.count("onfidence") >= 2  # each answer says how sure it is
    last_sources = session.stdout.rsplit("\nSources\n", 1)[1]
    first_quote = next(line.strip()[1:-1] for line in last_sources.splitlines() if line.startswith("    “"))
    opened = last_sources.split(first_quote, 1)[1]
    assert first_quote in opened  # /open printed the article around that quote
    assert "forgotten" in session.stderr and "unknown command /nonsense" in session.stderr
    assert "Traceback" not in session.stderr


def test_the_page_streams_an_answer_and_highlights_the_quoted_sentence(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, _ = served
    with page_at(url) as page:
        page.locator("#status", has_text="articles").wait_for()  # no script strings: the page's CSP forbids eval
        assert page.inner_text("#status").startswith("2 articles from 1 source,")  # the indexed folder
        page.fill("#question", DAESH)
        page.keyboard.press("Enter")  # the keyboard asks
        page.wait_for_selector(".turn .cite", timeout=300_000)
        answer = page.inner_text(".turn .answer")
        assert "[" in answer and "welcome" in answer.lower()
        assert "unknown outlet" not in page.inner_text(".turn .sources")  # the samples name none: left out
        assert "onfidence" in page.inner_text(".turn .confidence")  # a label, not only a colour
        page.focus(".turn .cite")
        page.keyboard.press("Enter")  # a citation opens from the keyboard too
        page.wait_for_selector("#source-text mark")
        highlighted = page.inner_text("#source-text mark")
        article_text = page.inner_text("#source-text")
        assert "State Department" in highlighted and highlighted in article_text and len(article_text) > 1000
        box = page.locator("#source-text mark").first.bounding_box()
        panel = page.locator("#source-text").bounding_box()
        assert box and panel and panel["y"] <= box["y"] <= panel["y"] + panel["height"]  # scrolled into view
        page.screenshot(path=str(tmp_path / "reading-room.png"))
        page.keyboard.press("Escape")
        assert page.locator("#source-panel").is_hidden()

        page.set_viewport_size({"width": 390, "height": 800})  # a phone: one column, nothing cut off
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390


def test_the_page_lists_who_said_what_and_opens_each_statement_at_its_sentence(
    served: tuple[str, dict[str, str]],
) -> None:
    url, _ = served
    with page_at(url) as page:
        page.click("#who-said-what summary")
        page.fill("#speaker", "the US")  # a country finds the State Department's spokeswoman
        page.keyboard.press("Enter")
        page.wait_for_selector(".statement")
        speakers = page.locator(".statement .speaker").all_inner_texts()
        assert speakers and any("Trudeau" in s for s in speakers)
        trudeau = page.locator(".statement", has_text="Trudeau").first
        sentence = trudeau.locator(".sentence").inner_text()
        trudeau.locator(".sentence").click()  # opens the article with that sentence marked
        page.wait_for_selector("#source-text mark")
        assert page.inner_text("#source-text mark") == sentence
        assert "State Department" in page.inner_text("#source-title") + page.inner_text("#source-text")

        page.fill("#speaker", "nobody-by-this-name")
        page.click("#find-quotes")
        page.locator("#quotes-status", has_text="No statement").wait_for()
        assert page.locator(".statement").count() == 0

        page.fill("#speaker", "Kalin")  # a surname finds the full name and his later "he said"
        page.click("#find-quotes")
        page.wait_for_selector(".statement")
        kalin = page.locator(".statement .speaker").all_inner_texts()
        assert kalin and all("Kalin" in s for s in kalin)


def test_server_settings_are_masked() -> None:
    shown = Settings(server_token="top-secret").masked()  # type: ignore[arg-type]
    assert shown["server_token"] == "********" and "top-secret" not in json.dumps(shown)


def test_ctrl_c_in_chat_stops_the_answer_not_the_session(served: tuple[str, dict[str, str]]) -> None:
    import os
    import pty
    import selectors
    import signal

    _, env = served
    primary, secondary = pty.openpty()  # a terminal: chat prompts and edits lines as for a person
    waiting = selectors.DefaultSelector()
    waiting.register(primary, selectors.EVENT_READ)
    session = subprocess.Popen(
        [sys.executable, "-m", "assistant", "chat"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        # as from a terminal: a test run in the background (nohup, `&`) would pass on an ignored SIGINT
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(secondary)
    seen = b""

    def until(text: bytes, after: bytes = b"", timeout: float = 120) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text not in (seen.partition(after)[2] if after else seen):
            assert time.monotonic() < deadline and session.poll() is None, seen.decode(errors="replace")[-2000:]
            if waiting.select(timeout=0.5):  # a selector: the pty's descriptor may be above select()'s 1024
                seen += os.read(primary, 4096)

    try:
        until(b"? ")
        os.write(primary, (DAESH + "\n").encode())
        until(b"searching the articles")
        session.send_signal(signal.SIGINT)  # what Ctrl-C sends
        until(b"answer stopped")
        until(b"? ", after=b"answer stopped")  # the session goes on
        os.write(primary, b"/quit\n")
        assert session.wait(timeout=30) == 0
    finally:
        session.kill()
        waiting.close()
        os.close(primary)
