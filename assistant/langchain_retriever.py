"""A LangChain `BaseRetriever` over the index, for users who build their own chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from assistant.answering.qa import Assistant
from assistant.answering.retrieval import Filters
from assistant.settings import Settings, load_settings


class ArticleRetriever(BaseRetriever):
    """Hybrid (dense + BM25) retrieval over an `assistant` index.

    >>> docs = ArticleRetriever(top_k=4).invoke("What did the US say about Russia?")
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Settings = Field(default_factory=load_settings)
    top_k: int | None = None
    filters: Filters = Field(default_factory=Filters)
    assistant: Any = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        if self.assistant is None:
            self.assistant = Assistant(self.settings)
        return [
            Document(
                page_content=passage.chunk.text,
                id=passage.chunk.chunk_id,
                metadata=passage.of_article() | {"score": passage.score, "similarity": passage.similarity},
            )
            for passage in self.assistant.retrieve(query, self.top_k, self.filters)
        ]
