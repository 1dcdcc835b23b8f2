"""The `assistant` and `ask` commands: thin wrappers over the library.

Answers go to stdout, progress and warnings to stderr; a known error is one
line on stderr and exit code 1, any other error one line and exit code 2
(`ASSISTANT_DEBUG=1` shows its traceback).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from assistant.errors import AssistantError


class _Group(TyperGroup):
    """Turns any error raised by a command into one line on stderr: never a traceback by default."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AssistantError as error:
            _one_line("error", str(error))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            _one_line("interrupted", "stopped before the end")
            raise typer.Exit(130) from None
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise  # usage errors and exits: Typer reports them
        except Exception as error:
            if os.environ.get("ASSISTANT_DEBUG", "") not in ("", "0"):
                raise
            name = type(error).__name__
            detail = " ".join(str(error).split())[:300]  # one line, whatever the message holds
            _one_line("internal error", f"{name}: {detail}; set ASSISTANT_DEBUG=1 for the traceback")
            raise typer.Exit(2) from None


def _one_line(label: str, message: str) -> None:
    from rich.markup import escape

    from assistant.cli.console import err

    err.print(f"[red]{label}:[/] {escape(message)}", soft_wrap=True)


class _StderrHandler(logging.Handler):
    """The library's log messages (e.g. waiting for the model), one line each on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        from rich.markup import escape

        from assistant.cli.console import err

        style = "yellow" if record.levelno >= logging.WARNING else "dim"
        err.print(f"[{style}]{escape(record.getMessage())}[/]", soft_wrap=True)


def _log_to_stderr() -> None:
    logger = logging.getLogger("assistant")
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        logger.addHandler(_StderrHandler())
    logger.setLevel(logging.INFO)
    logger.propagate = False


app = typer.Typer(
    cls=_Group,
    help="Cited answers over news articles, offline by default.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    callback=_log_to_stderr,
)

from assistant.cli import ask, chat, config, evals, index, mcp, quotes, search, serve  # noqa: E402

app.add_typer(index.app, name="index")
app.command("ask")(ask.ask)
app.command("search")(search.search)
app.command("quotes")(quotes.quotes)
app.command("chat")(chat.chat)
app.command("serve")(serve.serve)
app.command("mcp")(mcp.mcp)
app.command("config")(config.config)
app.command("eval")(evals.evaluate)


def main() -> None:
    app(prog_name="assistant")


def ask_main() -> None:
    """`ask "QUESTION"` is `assistant ask "QUESTION"`."""
    app(args=["ask", *sys.argv[1:]], prog_name="assistant")
