"""Files that ship with the package or inside its pinned dependencies: prompts and model files."""

from __future__ import annotations

import importlib.util
import string
from functools import cache
from pathlib import Path

from assistant.disk import sha256_of
from assistant.errors import ModelError

# In a wheel the prompts sit inside the package; in a source checkout, beside it.
_PROMPT_DIRS = (Path(__file__).parent / "prompts", Path(__file__).parent.parent / "prompts")


def prompt_dir() -> Path:
    for folder in _PROMPT_DIRS:
        if folder.is_dir():
            return folder
    raise ModelError("prompt templates not found: reinstall assistant")


@cache
def load_prompt(name: str) -> string.Template:
    """A prompt template from `prompts/NAME.txt`, with `$placeholders`."""
    return string.Template((prompt_dir() / f"{name}.txt").read_text())


def package_file(package: str, relative: str) -> Path:
    """A file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"package {package!r} is not installed: reinstall assistant")
    return Path(next(iter(spec.submodule_search_locations))) / relative


def verified_file(path: Path, sha256: str) -> Path:
    """`path`, if its content has the expected SHA-256."""
    if not path.is_file():
        raise ModelError(f"model file missing: {path}")
    if sha256_of(path) != sha256:
        raise ModelError(f"model file {path} does not match its SHA-256: reinstall its package")
    return path
