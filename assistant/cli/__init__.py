"""The `assistant` and `ask` commands: thin wrappers over the library.

Answers go to stdout, progress and warnings to stderr; a known error is one
line on stderr and exit code 1.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from assistant.errors import AssistantError


class _Group(TyperGroup):
    """Turns an `AssistantError` raised by any command into one line on stderr."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AssistantError as error:
            from rich.markup import escape

            from assistant.cli.console import err

            err.print(f"[red]error:[/] {escape(str(error))}", soft_wrap=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Group,
    help="Cited answers over news articles, offline by default.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from assistant.cli import ask, config, evals, index, search  # noqa: E402

app.add_typer(index.app, name="index")
app.command("ask")(ask.ask)
app.command("search")(search.search)
app.command("config")(config.config)
app.command("eval")(evals.evaluate)


def main() -> None:
    app(prog_name="assistant")


def ask_main() -> None:
    """`ask "QUESTION"` is `assistant ask "QUESTION"`."""
    app(args=["ask", *sys.argv[1:]], prog_name="assistant")
