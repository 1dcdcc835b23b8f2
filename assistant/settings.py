"""One settings model: defaults < TOML config file < `ASSISTANT_*` env vars < arguments."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_OPENAI_EMBEDDING_MODEL = "text-embedding-3-small"
DEFAULT_OPENAI_LLM_MODEL = "gpt-4o-mini"


def config_file() -> Path | None:
    """The TOML config file in force: $ASSISTANT_CONFIG, ./assistant.toml, or the user's."""
    if explicit := os.environ.get("ASSISTANT_CONFIG"):
        return Path(explicit)
    for candidate in (
        Path("assistant.toml"),
        Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "assistant" / "config.toml",
    ):
        if candidate.is_file():
            return candidate
    return None


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "assistant"


class Settings(BaseSettings):
    """Everything `assistant` can be told; see `assistant config`."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    index_dir: Path = Field(Path("index"), description="Where the index lives.")
    cache_dir: Path = Field(
        default_factory=default_cache_dir,
        description="Where the assembled local model is kept.",
    )

    embeddings: Literal["local", "openai"] = Field(
        "local", description="Embedding backend: local MiniLM on onnxruntime, or an OpenAI-compatible API."
    )
    embeddings_model: str | None = Field(
        None, description=f"Embedding model of the openai backend (default {DEFAULT_OPENAI_EMBEDDING_MODEL})."
    )
    embeddings_base_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible embedding server (default: the LLM's)."
    )

    llm_backend: Literal["local", "openai"] = Field(
        "local", description="LLM backend: embedded llama.cpp, or an OpenAI-compatible API."
    )
    llm_model: str | None = Field(
        None,
        description="local: path to a GGUF file (default: the bundled Qwen2.5-Coder-1.5B-Instruct); "
        f"openai: model name (default {DEFAULT_OPENAI_LLM_MODEL}).",
    )
    llm_base_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible server (Ollama, vLLM, llama.cpp server)."
    )
    llm_timeout: float = Field(120.0, description="Seconds before an LLM request times out.")
    llm_max_retries: int = Field(2, description="Retries of a failed LLM request, with backoff.")
    llm_threads: int | None = Field(None, description="CPU threads of the local LLM (default: all cores).")
    llm_context: int = Field(4096, description="Context window of the local LLM, in tokens.")
    llm_worker: bool = Field(
        True, description="`assistant serve` runs the local LLM in a worker process, restarted if it dies."
    )
    llm_worker_max_answers: int = Field(200, ge=1, description="Answers before the worker is replaced by a fresh one.")
    llm_worker_max_growth_mb: float = Field(
        32.0, gt=0, description="Growth of the worker's own memory (MB) after which it is replaced."
    )
    max_answer_tokens: int = Field(384, description="Longest answer, in tokens.")
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "ASSISTANT_OPENAI_API_KEY"),
        description="API key of the openai backends (OPENAI_API_KEY).",
    )

    chroma_url: str | None = Field(
        None, description="A Chroma server (http://host:port) to keep the chunks in, instead of the index folder."
    )
    chroma_token: SecretStr | None = Field(
        None, description="Token sent to the Chroma server (Chroma's token auth: Authorization: Bearer)."
    )

    fetch_timeout: float = Field(
        20.0, description="Seconds before a web request fails (to connect, or between two reads)."
    )
    fetch_delay: float = Field(
        0.5, ge=0, description="Seconds between two requests to the same site (or its robots.txt Crawl-delay)."
    )
    fetch_connections: int = Field(4, ge=1, description="Web requests in flight at once.")

    lock_timeout: float = Field(60.0, description="Seconds a build waits for another build to finish.")
    max_article_mb: float = Field(10.0, description="Largest article file (or JSONL line) read, in MB.")
    chunk_size: int = Field(1000, description="Longest chunk, in characters.")
    chunk_overlap: int = Field(200, description="Characters shared by consecutive chunks.")
    top_k: int = Field(6, description="Passages retrieved for a question.")
    max_evidence_sentences: int = Field(
        8, description="Sentences of those passages given to the LLM (the prompt's length)."
    )
    min_similarity: float = Field(
        0.25,
        description="Passages less similar than this to the question are not used; none left is a refusal.",
    )
    answer_judge: bool = Field(
        True,
        description="Rank passages and choose the evidence with the trained answerability judge (docs/judges.md).",
    )
    rerank_depth: int = Field(20, description="Passages the answerability judge reads to pick the best `top_k`.")
    claim_verifier: bool = Field(
        False,
        description="Check claims with the trained claim verifier as well as the word rules (off until it reads "
        "paraphrases well: docs/judges.md).",
    )
    confidence: bool = Field(
        True, description="Rate every answer's confidence from the model's probabilities and the evidence."
    )
    confidence_model: Path | None = Field(
        None, description="The fitted confidence model (JSON); unset: the one shipped with the package."
    )
    refuse_below: float | None = Field(
        None, ge=0, le=1, description="Refuse, before answering, under this confidence; unset: the model's default."
    )
    doubt_below: float | None = Field(
        None, ge=0, le=1, description="Show the answer as low confidence under this; unset: the model's default."
    )

    server_url: str | None = Field(
        None, description="A running `assistant serve` (http://host:port): `ask` and `search` become its clients."
    )
    server_token: SecretStr | None = Field(
        None, description="Bearer token `assistant serve` requires of every API request (and its clients send)."
    )
    server_queue: int = Field(8, ge=0, description="Questions `assistant serve` keeps waiting; beyond them, 503.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if (path := config_file()) is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain values, secrets masked."""
        values = self.model_dump(mode="json")
        values["openai_api_key"] = "********" if self.openai_api_key else None
        values["server_token"] = "********" if self.server_token else None
        values["chroma_token"] = "********" if self.chroma_token else None
        values["store"] = f"Chroma server {self.chroma_url}" if self.chroma_url else "embedded Chroma in index_dir"
        values["config_file"] = str(config_file()) if config_file() else None
        return values


def load_settings(**overrides: Any) -> Settings:
    """Settings from every source; a bad value or config file is a `ConfigError`."""
    from pydantic import ValidationError

    from assistant.errors import ConfigError

    path = config_file()
    if path is not None and not path.is_file():
        raise ConfigError(f"config file not found: {path} (set by ASSISTANT_CONFIG)")
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise ConfigError(f"invalid setting {where}: {problem['msg']}") from None
    except ValueError as error:  # e.g. malformed TOML
        raise ConfigError(f"cannot read config file {path}: {error}") from None
