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
