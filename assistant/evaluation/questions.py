"""Evaluation questions: JSONL or YAML records in the MultiHop-RAG schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import InputError


class Evidence(BaseModel):
    model_config = ConfigDict(extra="ignore")

    doc_id: str = ""
    fact: str


class Question(BaseModel):
    """A question in this project's schema, or as MultiHop-RAG ships it (`query`, `evidence_list`, no id)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    question: str
    answer: str | None = None
    answerable: bool = True
    gold_doc_ids: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    question_type: str = "unknown"
    answer_kind: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _upstream(cls, record: Any) -> Any:
        """MultiHop-RAG's own records: `query` is the question, `evidence_list` the evidence."""
        if not isinstance(record, dict) or "question" in record or "query" not in record:
            return record
        record = {**record, "question": record["query"]}
        if "evidence" not in record and isinstance(record.get("evidence_list"), list):
            record["evidence"] = record["evidence_list"]
        if "answerable" not in record and record.get("question_type") == "null_query":
            record["answerable"] = False
        return record

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
    elif path.suffix.lower() == ".json":  # one array, as MultiHop-RAG ships MultiHop-RAG.json
        try:
            records = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"{path}: invalid JSON: {error.msg} at line {error.lineno}") from None
        records = records if isinstance(records, list) else [records]
    else:
        records = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise InputError(f"{path}:{number}: invalid JSON: {error.msg}") from None
    for number, record in enumerate(records, 1):  # upstream records have no id: their position is one
        if isinstance(record, dict) and not record.get("id"):
            record["id"] = f"q{number:04d}"
    try:
        questions = [Question.model_validate(record) for record in records]
    except ValidationError as error:
        raise InputError(f"{path}: not a question record: {error.errors()[0]['msg']}") from None
    return questions[:limit] if limit else questions
