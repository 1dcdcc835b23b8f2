"""Where chunk texts and vectors live: an embedded Chroma per segment, or collections of a Chroma server.

Both hold one collection per segment, written once by the build that makes the segment
and never changed after, so readers never share a collection with a writer.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import cached_property, wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assistant.errors import BackendError, IndexMismatchError

SPACE = {"hnsw:space": "cosine"}


def _chroma_settings(**extra: Any) -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False, **extra)


class EmbeddedChroma:
    """A `PersistentClient` in each segment's folder (`chroma/`)."""

    name = "embedded"

    def collection(self, folder: Path, name: str, *, create: bool = False) -> Any:
        import chromadb

        client = chromadb.PersistentClient(path=str(folder / "chroma"), settings=_chroma_settings())
        collection = client.get_or_create_collection("chunks", embedding_function=None, metadata=SPACE)
        # Chroma keeps a store open (files, vector index in memory) while any client of it is: close this
        # one when the collection goes, so a long-running reader lets go of segments it no longer uses
        weakref.finalize(collection, client.close)  # type: ignore[attr-defined]  # chromadb 1.x clients have close(); ClientAPI omits it
        return collection

    def drop(self, name: str) -> None:
        """Nothing to do: the data goes with the segment's folder."""


class ChromaServer:
    """Collections named after the index and the segment on a Chroma server (`chromadb.HttpClient`)."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token

    @property
    def name(self) -> str:
        return self.url

    @cached_property
    def client(self) -> Any:
        import chromadb

        parts = urlsplit(self.url if "://" in self.url else f"http://{self.url}")
        extra: dict[str, Any] = {}
        if self.token:  # Chroma's token auth: "Authorization: Bearer TOKEN"
            extra = {
                "chroma_client_auth_provider": "chromadb.auth.token_authn.TokenAuthClientProvider",
                "chroma_client_auth_credentials": self.token,
            }
        return self._guard(chromadb.HttpClient)(
            host=parts.hostname or "localhost",
            port=parts.port or (443 if parts.scheme == "https" else 8000),
            ssl=parts.scheme == "https",
            settings=_chroma_settings(**extra),
        )

    def collection(self, folder: Path, name: str, *, create: bool = False) -> Any:
        if create:
            found = self._guard(self.client.get_or_create_collection)(name, embedding_function=None, metadata=SPACE)
        else:
            found = self._guard(self.client.get_collection)(name, embedding_function=None)
        return _Guarded(found, self._guard)

    def drop(self, name: str) -> None:
        from chromadb.errors import NotFoundError

        try:
            self._guard(self.client.delete_collection)(name)
        except BackendError as error:
            if not isinstance(error.__cause__, NotFoundError | ValueError):
                raise

    def _guard(self, call: Callable[..., Any]) -> Callable[..., Any]:
        """`call`, its failures turned into one clear error naming the server."""

        @wraps(call)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            import httpx
            from chromadb.errors import ChromaError, NotFoundError

            try:
                return call(*args, **kwargs)
            except NotFoundError as error:
                raise IndexMismatchError(
                    f"the Chroma server at {self.url} lacks part of the index ({error}): run `assistant index rebuild`"
                ) from error
            except (httpx.TransportError, ConnectionError) as error:
                raise BackendError(f"Chroma server at {self.url}: cannot reach it ({_first_line(error)})") from error
            except (httpx.HTTPError, ChromaError, ValueError) as error:
                if any(word in str(error) for word in ("Unauthorized", "Forbidden", "AuthError")):
                    raise BackendError(
                        f"Chroma server at {self.url}: refused the request: "
                        "wrong or missing token (ASSISTANT_CHROMA_TOKEN)"
                    ) from error
                if "Could not connect" in str(error):  # what HttpClient says when nothing answers
                    raise BackendError(f"Chroma server at {self.url}: cannot reach it (is it running?)") from error
                raise BackendError(f"Chroma server at {self.url}: {_first_line(error)}") from error

        return guarded


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class _Guarded:
    """A collection whose calls fail with `BackendError`."""

    def __init__(self, collection: Any, guard: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
        self._collection, self._guard_call = collection, guard

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._collection, name)
        return self._guard_call(value) if callable(value) else value


ChunkStore = EmbeddedChroma | ChromaServer


def chunk_store(url: str | None, token: str | None = None) -> ChunkStore:
    return ChromaServer(url, token) if url else EmbeddedChroma()
