"""Start-up cost of light commands, as whole processes.

    python bench/startup.py [--runs 5]

`assistant --help`; `assistant index status` and `assistant search QUESTION`
(an `ask` up to the end of retrieval) over the sample index. Prints JSON, headline last.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from measure import BIN, ROOT, emit, run, summary

QUESTION = "What did the US say about Russia and Daesh?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {"ASSISTANT_INDEX_DIR": str(Path(folder) / "index")}
        run([BIN / "assistant", "index", "build", ROOT / "examples" / "articles"], env)
        commands = {
            "help": [BIN / "assistant", "--help"],
            "index_status": [BIN / "assistant", "index", "status"],
            "search": [BIN / "assistant", "search", QUESTION],
        }
        figures = {
            name: summary([run(command, env)["seconds"] for _ in range(args.runs)])
            for name, command in commands.items()
        }
    emit("startup", figures, {f"{name}_s": figure["median"] for name, figure in figures.items()})


if __name__ == "__main__":
    main()
