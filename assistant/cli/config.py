from __future__ import annotations

import json
from typing import Annotated

import typer

from assistant.cli.console import out


def config(json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Print the effective settings (API keys masked) and where they come from."""
    from rich.markup import escape

    from assistant.settings import Settings, load_settings

    values = load_settings().masked()
    if json_output:
        out.print_json(json.dumps(values))
        return
    fields = Settings.model_fields
    for key, value in values.items():
        env = "OPENAI_API_KEY" if key == "openai_api_key" else f"ASSISTANT_{key.upper()}"
        hint = fields[key].description if key in fields else "TOML file read (ASSISTANT_CONFIG)"
        out.print(f"[bold]{key}[/] = {escape(repr(value))}  [dim]# {escape(env)}: {escape(str(hint))}[/]")
