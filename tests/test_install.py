"""The README's install line without `make`, run as a new user would: a clean venv, the pip Python ships.

`make` upgrades pip first; a user following the README's "Without make" line does
not, and pip 23.2.1 (Python 3.11's) once left out a package HTML ingestion needs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def readme_install_line() -> list[str]:
    """The README's core `pip install` line, as a user would copy it."""
    line = re.search(r"^(pip install -c constraints\.txt -e \.) ", (ROOT / "README.md").read_text(), re.MULTILINE)
    assert line, "the README no longer shows its pip install line"
    return line.group(1).split()


@pytest.mark.timeout(1500)
def test_the_readme_pip_line_with_stock_pip_installs_what_html_needs(tmp_path: Path) -> None:
    import ensurepip

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    stock = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True, check=True).stdout
    assert stock.startswith(f"pip {ensurepip.version()} "), stock  # the pip Python ships, not upgraded

    install = subprocess.run(
        [python, "-m", *readme_install_line(), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=1400
    )
    assert install.returncode == 0, install.stderr[-3000:]

    page = tmp_path / "articles" / "harbour.html"
    page.parent.mkdir()
    page.write_text(
        "<html><head><title>Harbour reopens</title></head><body><nav><a href='/'>Home</a></nav><article>"
        "<p>The council voted to reopen the harbour on Monday after a long debate about the budget.</p>"
        "<p>Work starts in spring, the mayor said.</p></article></body></html>"
    )
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    build = subprocess.run(
        [venv / "bin" / "assistant", "index", "build", str(page.parent), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    report = json.loads(build.stdout)
    assert (report["articles"], report["problems"]) == (1, []), report
