"""The server's heap kept to what it uses, in a process that runs for weeks (glibc's malloc; elsewhere nothing).

The server answers each request in a thread of a pool, and glibc gives threads malloc arenas of their own:
what one thread frees is reused by that thread, and is rarely given back to the system. Two arenas shared by
all the server's threads, and the free pages handed back after each answer, keep its resident memory flat.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

_M_ARENA_MAX = -8  # mallopt's parameter, from glibc's malloc.h


def _glibc() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018  (glibc's own: absent from musl and macOS)
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


def share_arenas(arenas: int = 2) -> None:
    """At most `arenas` malloc arenas for the threads started from now on."""
    if _LIBC is not None:
        _LIBC.mallopt(_M_ARENA_MAX, arenas)


def give_back() -> None:
    """Return the heap's free pages to the system (after an answer: its buffers are freed)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
