"""assistant: cited answers over news articles, offline by default.

    from assistant import Assistant, build_index, load_settings
    settings = load_settings()
    build_index([Path("examples/articles")], settings)  # adds the folder to the index's sources
    answer = Assistant(settings).ask("What did the US say about Russia and Daesh?")

Names are imported on first use, so `assistant --help` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Assistant": "assistant.answering.qa",
    "build_index": "assistant.ingestion.indexer",
    "remove_sources": "assistant.ingestion.indexer",
    "index_status": "assistant.store",
    "Filters": "assistant.answering.retrieval",
    "load_settings": "assistant.settings",
    "Settings": "assistant.settings",
    "Answer": "assistant.records",
    "Citation": "assistant.records",
    "Quote": "assistant.records",
    "ArticleRetriever": "assistant.langchain_retriever",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
