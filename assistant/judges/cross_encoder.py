"""A cross-encoder: (text A, text B) -> one probability, MiniLM read by onnxruntime.

The pair is encoded as BERT reads two texts, `[CLS] A [SEP] B [SEP]`, with the tokenizer of
the embedder (the same vocabulary the judges were trained with); B is cut first when the pair
is too long, so what matters in B goes first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assistant.backends.embeddings import minilm_files, padded_batches
from assistant.resources import verified_file

MODELS = Path(__file__).parent / "models"


@dataclass(frozen=True)
class JudgeCard:
    """What a shipped judge is: its file, hash, input length and the threshold its figures were measured at."""

    name: str
    sha256: str
    max_tokens: int
    threshold: float
    rescue_at: float = 1.0  # a second, higher threshold, where the judge has one (1: none)

    @classmethod
    def load(cls, name: str) -> JudgeCard:
        card = json.loads((MODELS / f"{name}.json").read_text())
        return cls(name, card["sha256"], card["max_tokens"], card["threshold"], card.get("rescue_at", 1.0))

    @property
    def path(self) -> Path:
        return MODELS / f"{self.name}.onnx"


class CrossEncoder:
    """Scores pairs with a shipped judge; the model file is hash-checked and loaded on first use."""

    def __init__(self, card: JudgeCard, batch_size: int = 16, threads: int = 1) -> None:
        self.card, self.batch_size, self.threads = card, batch_size, threads

    @cached_property
    def _session(self) -> Any:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        model = verified_file(self.card.path, self.card.sha256)
        return onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self) -> Any:
        return pair_tokenizer(self.card.max_tokens)

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """P(yes) for each (A, B) pair, in order."""
        result = np.zeros(len(pairs), dtype=np.float32)
        if not pairs:
            return result
        for batch, ids, mask, types in padded_batches(self._tokenizer.encode_batch(pairs), self.batch_size):
            (logits,) = self._session.run(
                ["logits"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            )
            result[batch] = 1 / (1 + np.exp(-logits.reshape(-1)))
        return result


def pair_tokenizer(max_tokens: int) -> Any:
    """MiniLM's tokenizer (hash-checked, from the embedder's package) cutting pairs to `max_tokens`, B first."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(minilm_files()[1]))
    tokenizer.enable_truncation(max_tokens, strategy="only_second")
    tokenizer.no_padding()
    return tokenizer
