from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from assistant.cli.ask import SearchOptions, open_assistant, print_sources, streamed
from assistant.cli.console import err, out
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from collections.abc import Callable

    from assistant.answering.followup import Turn
    from assistant.records import Answer

HELP = "/sources  the last answer's sources · /open [N]  the article around quote N · /reset  forget · /quit"


def chat(
    top_k: SearchOptions.top_k = None,
    source: SearchOptions.source = None,
    since: SearchOptions.since = None,
    until: SearchOptions.until = None,
) -> None:
    """Ask questions one after another; follow-ups ("And what did Russia say?") read the one before."""
    from assistant.answering.followup import Turn
    from assistant.answering.retrieval import Filters

    filters = Filters.parse(source, since, until)
    assistant = open_assistant(long_running=True)
    session = Session(assistant)
    interactive = sys.stdin.isatty()
    if interactive:
        import readline  # noqa: F401 (line editing, and earlier questions with the arrow keys)
    err.print(f"Ask about the articles. {HELP}")
    while True:
        try:
            line = input("\n? " if interactive else "").strip()
        except EOFError:
            return
        except KeyboardInterrupt:  # at the prompt: a new line, not the end
            out.print()
            continue
        if not line:
            continue
        if line.startswith("/"):
            if not session.command(line):
                return
            continue
        try:

            def ask(show: Callable[[str], None], question: str = line) -> Answer:
                return assistant.ask(question, top_k=top_k, filters=filters, on_text=show, history=session.history)

            answer = streamed(ask)
        except KeyboardInterrupt:
            err.print("[yellow]answer stopped[/]")
            continue
        except AssistantError as error:  # one line, and the session goes on
            from rich.markup import escape

            err.print(f"[red]error:[/] {escape(str(error))}")
            continue
        print_sources(answer)
        session.history.append(Turn(question=line, answer=answer.answer))
        session.last = answer


class Session:
    """The conversation so far and the commands that read it."""

    def __init__(self, assistant: Any) -> None:
        self.assistant = assistant
        self.history: list[Turn] = []
        self.last: Answer | None = None

    def command(self, line: str) -> bool:
        """Run a /command; False when the session should end."""
        name, _, argument = line.partition(" ")
        if name in ("/quit", "/exit", "/q"):
            return False
        if name == "/reset":
            self.history.clear()
            self.last = None
            err.print("forgotten: the next question starts afresh")
        elif name == "/sources":
            if self.last is None or not self.last.citations:
                err.print("no sources yet")
            else:
                print_sources(self.last)
        elif name == "/open":
            self.open(argument.strip())
        else:
            err.print(f"unknown command {name}: {HELP}")
        return True

    def open(self, number: str) -> None:
        """Print the paragraph of the article around quote `number` (the first if ""), the quote highlighted."""
        from rich.markup import escape

        citations = self.last.citations if self.last else []
        citation = next((c for c in citations if str(c.n) == number or not number), None)
        if citation is None:
            err.print(f"no source [{number}] in the last answer: /open N, N one of its citation numbers")
            return
        try:
            article = self.assistant.article(citation.doc_id)
        except AssistantError as error:
            err.print(f"[red]error:[/] {escape(str(error))}")
            return
        if article is None:
            err.print(f"{citation.doc_id} is no longer in the index")
            return
        text, start, end = article.text, citation.char_start, citation.char_end
        before = text.rfind("\n\n", 0, start)
        after = text.find("\n\n", end)
        begin = before + 2 if before != -1 and start - before < 1500 else max(0, start - 600)
        finish = after if after != -1 and after - end < 1500 else min(len(text), end + 600)
        out.print(f"[bold][{citation.n}] {escape(article.title or article.doc_id)}[/]")
        out.print(f"[dim]{escape(' · '.join(p for p in (article.source, (article.published_at or '')[:10]) if p))}[/]")
        out.print(
            ("…" if begin > 0 else "")
            + escape(text[begin:start])
            + f"[reverse]{escape(text[start:end])}[/]"
            + escape(text[end:finish])
            + ("…" if finish < len(text) else "")
        )
