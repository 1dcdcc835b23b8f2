"""The errors `assistant` raises on purpose.

Each one is a known condition with a message meant for the user; the CLI turns
it into one line on stderr and a non-zero exit.

    AssistantError
    ├── ConfigError           bad or missing settings (e.g. an API key)
    ├── IndexMissingError     no index built yet at the configured location
    ├── IndexMismatchError    index built with another embedding model or format
    ├── IndexLockedError      another process is writing the index
    ├── InputError            a path or file that cannot be read
    ├── ModelError            the local model cannot be found, assembled or loaded
    └── BackendError          an LLM or embedding server failed or is unreachable
"""

from typing import Any


class AssistantError(Exception):
    """Base class of every error meant to reach the user as one line."""


class ConfigError(AssistantError):
    pass


class IndexMissingError(AssistantError):
    pass


class IndexMismatchError(AssistantError):
    pass


class IndexLockedError(AssistantError):
    pass


class InputError(AssistantError):
    pass


class ModelError(AssistantError):
    pass


class BackendError(AssistantError):
    pass


def problems(detail: Any) -> str:
    """An error's detail as one line: pydantic's (and so FastAPI's) validation errors are a list of problems."""
    if isinstance(detail, str):
        return detail
    return "; ".join(f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg', '')}" for d in detail)
