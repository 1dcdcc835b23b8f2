"""Evaluation questions: JSONL or YAML records in the MultiHop-RAG schema."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import InputError


class Evidence(BaseModel):
    model_config = ConfigDict(extra="ignore")

    doc_id: str = ""
    fact: str


class Question(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    question: str
    answer: str | None = None
    answerable: bool = True
    gold_doc_ids: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    question_type: str = "unknown"
    answer_kind: str | None = None

    @property
    def kind(self) -> str:
        """short_text, yes_no or insufficient_information."""
        if not self.answerable:
            return "insufficient_information"
        if self.answer_kind:
            return self.answer_kind
        return "yes_no" if (self.answer or "").strip(" .").lower() in {"yes", "no"} else "short_text"


def load_questions(path: Path, limit: int | None = None) -> list[Question]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read questions {path}: {error.strerror}") from None
    if path.suffix.lower() in {".yaml", ".yml"}:
        import yaml

        records = yaml.safe_load(text) or []
    else:
        records = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise InputError(f"{path}:{number}: invalid JSON: {error.msg}") from None
    try:
        questions = [Question.model_validate(record) for record in records]
    except ValidationError as error:
        raise InputError(f"{path}: not a question record: {error.errors()[0]['msg']}") from None
    return questions[:limit] if limit else questions
