"""Judges we trained ourselves: small MiniLM cross-encoders run with onnxruntime (no torch at run time).

Each ships as an int8 ONNX file in `models/` beside a card (`NAME.json`: its SHA-256, the input
length, the decision threshold, the data and figures it was trained and measured with). The
training lives in `training/` at the repository's root.
"""

from assistant.judges.answerability import AnswerJudge, answer_judge
from assistant.judges.cross_encoder import CrossEncoder, JudgeCard
from assistant.judges.verifier import ClaimVerifier, claim_verifier, evidence_text

__all__ = [
    "AnswerJudge",
    "ClaimVerifier",
    "answer_judge",
    "CrossEncoder",
    "JudgeCard",
    "claim_verifier",
    "evidence_text",
]
