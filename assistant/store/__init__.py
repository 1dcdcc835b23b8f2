"""The index on disk (and, in server mode, on a Chroma server): generations over write-once segments."""

from assistant.store.index import FORMAT_VERSION, MAX_SEGMENTS, Index, IndexDir, IndexStatus, Manifest, index_status

__all__ = ["FORMAT_VERSION", "MAX_SEGMENTS", "Index", "IndexDir", "IndexStatus", "Manifest", "index_status"]
