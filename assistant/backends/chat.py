"""Chat models that stream text: embedded llama.cpp, or any OpenAI-compatible API."""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, cast

from assistant.backends.turns import model_turn
from assistant.disk import replacing
from assistant.errors import BackendError, ConfigError, ModelError
from assistant.settings import DEFAULT_OPENAI_LLM_MODEL, Settings

Messages = list[dict[str, str]]
log = logging.getLogger(__name__)


class ChatModel(Protocol):
    model_id: str

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        """The reply, piece by piece, at temperature 0."""
        ...

    def count_tokens(self, messages: Messages) -> int | None:
        """Prompt tokens of `messages`, where the model can tell."""
        ...

    def yes_probability(self, messages: Messages) -> float | None:
        """P(Yes) / (P(Yes) + P(No)) for the first token of the reply to `messages`; None where it cannot tell."""
        ...


class LocalModel:
    """A GGUF model run in-process by llama-cpp-python.

    The model's state after the fixed start of every prompt (the system turn) is
    saved once under `state_dir` and restored on later runs, so only the rest of
    the prompt is processed: prompt processing is most of the wait on a CPU.

    llama.cpp runs a thread per core, so two generations at once (two processes,
    or two threads of one) spin against each other and both crawl: every
    generation holds `lock_path`, a file lock shared by every local model of this
    cache directory, and a second one waits (logging that it does) for at most
    `lock_timeout` seconds (None: as long as it takes), then runs at full speed. Waiters are served
    in arrival order (`turns.model_turn`).
    """

    def __init__(
        self,
        path: Path,
        context: int = 4096,
        threads: int | None = None,
        state_dir: Path | None = None,
        lock_path: Path | None = None,
        lock_timeout: float | None = 120.0,
    ) -> None:
        self.path = path
        self.context = context
        self.threads = threads
        self.state_dir = state_dir
        self.lock_path = lock_path
        self.lock_timeout = lock_timeout
        self.model_id = f"local:{path.name}"
        self._prefixes: dict[tuple[str, str], list[int]] = {}  # first message -> fixed prompt prefix
        self._token_stats: TokenStats | None = None
        self._holder: int | None = None  # the thread whose turn it is

    @cached_property
    def _llama(self) -> Any:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelError(
                'the embedded LLM is not installed: run `pip install -e ".[local]"`, '
                "or set ASSISTANT_LLM_BACKEND=openai"
            ) from None
        if not self.path.is_file():
            raise ModelError(f"model file not found: {self.path} (ASSISTANT_LLM_MODEL)")
        try:
            return Llama(
                model_path=str(self.path),
                n_ctx=self.context,
                n_threads=self.threads or os.cpu_count(),
                seed=0,
                verbose=False,
            )
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"cannot load model {self.path}: {error}") from None

    def load(self) -> None:
        """Load the model now, not at the first call."""
        self._llama  # noqa: B018

    def _cached_prefix(self, messages: Messages) -> list[int]:
        first = (messages[0]["role"], messages[0]["content"]) if messages else ("", "")
        if first not in self._prefixes:
            self._prefixes[first] = _fixed_prefix(self._llama, messages)
        return self._prefixes[first]

    def prepare(self, messages: Messages) -> None:
        """Load the model and read the fixed start of prompts like `messages` (the system turn) now."""
        prefix = self._cached_prefix(messages)
        if self.state_dir is not None:
            with self.turn():
                _restore_prefix(self._llama, prefix, self.state_dir)

    def count_tokens(self, messages: Messages) -> int | None:
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return len(self._llama.tokenize(text.encode(), add_bos=False, special=True)) + 3

    def yes_probability(self, messages: Messages) -> float | None:
        """Read off one forward pass over what `messages` add to the prompt last processed.

        The probe's tokens stay in the model's cache: the next prompt reuses what it shares
        with them (llama.cpp's prefix match keeps the common start and drops the rest), so a
        probe that repeats the start of the next prompt (its sources and question) processes
        that start for it, and a probe after an answer processes only its own question.
        """
        import numpy as np

        llama = self._llama
        with self.turn():
            self._read_prompt(messages)
            logits = _last_logits(llama).copy()
        yes, no = (_first_token(llama, word) for word in ("Yes", "No"))
        top = float(max(logits[yes], logits[no]))
        p_yes, p_no = np.exp(float(logits[yes]) - top), np.exp(float(logits[no]) - top)
        return float(p_yes / (p_yes + p_no))

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        """The answer, piece by piece; its tokens' probabilities are read as they are chosen (`token_stats`)."""
        from llama_cpp import LogitsProcessorList

        llama = self._llama  # loaded outside the lock: loading does not compete for the cores
        steps = TokenSteps()
        self._token_stats = None
        with self.turn():
            if self.state_dir is not None:
                _restore_prefix(llama, self._cached_prefix(messages), self.state_dir)

            def read(input_ids: Any, scores: Any) -> Any:  # called before each token is chosen; changes nothing
                steps.add(_last_logits(llama))
                return scores

            response = llama.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
                logits_processor=LogitsProcessorList([read]),
            )
            for part in response:
                if text := part["choices"][0]["delta"].get("content"):
                    yield text
        self._token_stats = steps.stats()

    def token_stats(self) -> TokenStats | None:
        """The probabilities of the last streamed answer's tokens."""
        return self._token_stats

    def reread_token_stats(self, messages: Messages, text: str) -> TokenStats | None:
        """The same for `text` answered to `messages` before (a cached reply): one forward pass over its tokens."""
        import numpy as np

        llama = self._llama
        answer = list(llama.tokenize(text.encode(), add_bos=False, special=False))[: llama.n_batch]
        if not answer:
            return None
        steps = TokenSteps()
        with self.turn():
            self._read_prompt(messages)
            steps.add(_last_logits(llama))
            start = llama.n_tokens
            llama._ctx.kv_cache_seq_rm(-1, start, -1)
            llama._batch.set_batch(batch=answer[:-1], n_past=start, logits_all=True)
            llama._ctx.decode(llama._batch)
            rows = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=((len(answer) - 1) * llama.n_vocab(),))
            for row in rows.reshape(len(answer) - 1, -1):
                steps.add(row)
            llama.input_ids[start : start + len(answer) - 1] = answer[:-1]
            llama.n_tokens = start + len(answer) - 1
        return steps.stats()

    def _read_prompt(self, messages: Messages) -> None:
        """Bring the model to the end of the prompt `messages` make, processing only what it does not share
        with the tokens already in its cache (the last token is always evaluated, for its logits)."""
        llama = self._llama
        tokens = list(llama.tokenize(_chat_text(llama, messages).encode(), add_bos=False, special=True))
        if self.state_dir is not None:
            _restore_prefix(llama, self._cached_prefix(messages), self.state_dir)
        shared = llama.longest_token_prefix(llama._input_ids, tokens[:-1])
        llama.n_tokens = shared
        llama.eval(tokens[shared:])

    @contextmanager
    def turn(self) -> Iterator[None]:
        """A turn at the cores for all the calls made inside it (an answer's probe, reply and reading): the
        machine-wide lock, after those who asked for it first. Each call takes its own turn outside one."""
        if self.lock_path is None or self._holder == threading.get_ident():
            yield
            return
        with model_turn(self.lock_path, self.lock_timeout):
            self._holder = threading.get_ident()
            try:
                yield
            finally:
                self._holder = None


TokenStats = dict[str, float]


class TokenSteps:
    """What the model's distribution said at each token of an answer: the log-probability of its
    likeliest token (the one greedy decoding takes) and its entropy, in nats."""

    def __init__(self) -> None:
        self.top: list[float] = []
        self.entropy: list[float] = []

    def add(self, logits: Any) -> None:
        import numpy as np

        shifted = logits - logits.max()
        weights = np.exp(shifted)
        total = float(weights.sum())
        self.top.append(-math.log(total))  # log-softmax of the largest logit
        self.entropy.append(math.log(total) - float(weights @ shifted) / total)

    def stats(self) -> TokenStats | None:
        """`first_logprob`, `min_logprob` and `max_entropy` over the answer's tokens; None for no token."""
        if not self.top:
            return None
        return {"first_logprob": self.top[0], "min_logprob": min(self.top), "max_entropy": max(self.entropy)}


def _last_logits(llama: Any) -> Any:
    """The logits the context computed for its last token (`Llama.scores` is stale without logits_all)."""
    import numpy as np

    return np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(llama.n_vocab(),))


def _chat_text(llama: Any, messages: Messages) -> str:
    """The prompt `messages` make by the model's chat template, the reply's start included."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = _template(llama)
    formatter = Jinja2ChatFormatter(
        template["template"], eos_token=template["eos_token"], bos_token=template["bos_token"]
    )
    return formatter(messages=cast(Any, messages)).prompt


def _template(llama: Any) -> dict[str, str]:
    special = [llama._model.token_get_text(t) if t != -1 else "" for t in (llama.token_eos(), llama.token_bos())]
    return {"template": llama.metadata["tokenizer.chat_template"], "eos_token": special[0], "bos_token": special[1]}


def _first_token(llama: Any, word: str) -> int:
    return int(llama.tokenize(word.encode(), add_bos=False, special=False)[0])


def _fixed_prefix(llama: Any, messages: Messages) -> list[int]:
    """The tokens every prompt with this system message starts with, by the model's own chat template."""
    if not llama.metadata.get("tokenizer.chat_template") or not messages or messages[0]["role"] != "system":
        return []
    prompts = [_chat_text(llama, [messages[0], {"role": "user", "content": text}]) for text in "ab"]
    common = os.path.commonprefix(prompts)
    return list(llama.tokenize(common.encode(), add_bos=False, special=True))[:-1]  # the last may merge on


def _restore_prefix(llama: Any, prefix: list[int], state_dir: Path) -> None:
    """Put the model in its state after the fixed `prefix`: from memory, from disk, or computed and saved."""
    import hashlib

    import numpy as np

    if not prefix or list(llama._input_ids[: len(prefix)]) == prefix:
        return
    key = hashlib.sha256(f"{llama.model_path}|{llama.n_ctx()}|{prefix}".encode()).hexdigest()[:20]
    path = state_dir / f"{key}.npz"
    try:
        with np.load(path) as saved:
            state = saved["state"].tobytes()
            llama.load_state(_llama_state(llama, prefix, np.asarray(saved["scores"]), state))
        return
    except (OSError, KeyError, ValueError, RuntimeError):
        pass  # none saved yet, or unusable: compute it
    llama.reset()
    llama.eval(prefix)
    saved = llama.save_state()
    state_dir.mkdir(parents=True, exist_ok=True)
    # the logits of the prefix are never used (the rest of the prompt refreshes them): keep one row
    with replacing(path, binary=True) as out:
        np.savez(out, state=np.frombuffer(saved.llama_state, dtype=np.uint8), scores=saved.scores[-1:])


def _llama_state(llama: Any, tokens: list[int], scores: Any, state: bytes) -> Any:
    import numpy as np
    from llama_cpp.llama import LlamaState

    ids = np.zeros(llama.n_ctx(), dtype=np.intc)  # the whole context's token buffer, as save_state gives it
    ids[: len(tokens)] = tokens
    return LlamaState(
        input_ids=ids, scores=scores, n_tokens=len(tokens), llama_state=state, llama_state_size=len(state), seed=0
    )


class OpenAIModel:
    """A model behind an OpenAI-compatible chat completions API (OpenAI, Ollama, vLLM, llama.cpp)."""

    def __init__(self, client: Any, model: str) -> None:
        self.client = client
        self.model = model
        self.model_id = f"openai:{model}"
        self.prompt_tokens: int | None = None
        self.gives_logprobs = True  # until the server shows it does not

    def count_tokens(self, messages: Messages) -> int | None:
        return self.prompt_tokens  # reported by the server with the last streamed answer

    def yes_probability(self, messages: Messages) -> float | None:
        """From the server's `top_logprobs` of a one-token reply; None if it gives none (then never asked again)."""
        import math

        import openai

        if not self.gives_logprobs:
            return None
        try:
            response = self.client.with_options(max_retries=0).chat.completions.create(
                model=self.model, messages=messages, max_tokens=1, temperature=0.0, logprobs=True, top_logprobs=20
            )
            top = response.choices[0].logprobs.content[0].top_logprobs
        except (openai.BadRequestError, openai.UnprocessableEntityError, AttributeError, IndexError, TypeError):
            self.gives_logprobs = False  # the request refused as such, or answered without probabilities
            log.debug("the server gives no token probabilities: confidence from the other signals")
            return None
        except openai.OpenAIError:  # down, busy, timed out: the answer's own request will say so
            return None
        p = {"yes": 0.0, "no": 0.0}
        for entry in top:
            word = entry.token.strip().lower()
            if word in p:
                p[word] += math.exp(entry.logprob)
        return p["yes"] / (p["yes"] + p["no"]) if p["yes"] + p["no"] > 0 else None

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        import httpx
        import openai

        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
                stream_options={"include_usage": True},
            )
            finished = answered = False
            self.prompt_tokens = None
            for part in response:
                if getattr(part, "usage", None):
                    self.prompt_tokens = part.usage.prompt_tokens
                if not part.choices:
                    continue
                choice, answered = part.choices[0], True
                if choice.delta and choice.delta.content:
                    yield choice.delta.content
                finished = finished or choice.finish_reason is not None
        except openai.OpenAIError as error:
            raise BackendError(f"LLM request failed: {describe_openai_error(error)}") from None
        except (ValueError, TypeError, AttributeError, IndexError, KeyError):  # not the API's shape
            raise BackendError("LLM request failed: malformed response from the server") from None
        except httpx.HTTPError as error:  # the connection failed mid-stream
            raise BackendError(f"LLM stream failed mid-answer: {type(error).__name__}") from None
        if not answered:
            raise BackendError("LLM request failed: malformed response from the server (no answer in it)")
        if not finished:
            raise BackendError("LLM stream ended before the answer was complete")


def describe_openai_error(error: Exception) -> str:
    """One line for the user, naming the setting to fix where there is one."""
    import openai

    if isinstance(error, openai.AuthenticationError):
        return "the API key was refused: check OPENAI_API_KEY"
    if isinstance(error, openai.APITimeoutError):
        return "the server did not answer in time (ASSISTANT_LLM_TIMEOUT)"
    if isinstance(error, openai.APIConnectionError):
        url = getattr(getattr(error, "request", None), "url", None)
        return f"cannot reach the server{f' at {url}' if url else ''} (ASSISTANT_LLM_BASE_URL)"
    if isinstance(error, openai.NotFoundError):
        return "model or endpoint not found (ASSISTANT_LLM_MODEL, ASSISTANT_LLM_BASE_URL)"
    if isinstance(error, openai.RateLimitError):
        return "rate limited by the server (HTTP 429), even after retries"
    if isinstance(error, openai.APIStatusError):
        return f"the server answered HTTP {error.status_code}"
    return type(error).__name__


def openai_client(settings: Settings, base_url: str | None = None) -> Any:
    """An `openai.OpenAI` client with the settings' timeout and retries (backoff is the SDK's)."""
    import openai

    base_url = base_url or settings.llm_base_url
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if key is None and base_url is None:
        raise ConfigError("ASSISTANT_LLM_BACKEND=openai needs OPENAI_API_KEY (or ASSISTANT_LLM_BASE_URL)")
    return openai.OpenAI(
        api_key=key or "not-needed",  # local servers (Ollama, llama.cpp) ignore the key
        base_url=base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
    )


def make_chat_model(settings: Settings, worker: bool = False, long_job: bool = False) -> ChatModel:
    """The chat model the settings name; with `worker` (a long-running server), the embedded one runs in a
    worker process that is recycled before it grows and restarted if it dies (`assistant.worker`); a
    `long_job` (an evaluation) waits for its turns at the embedded model as long as it takes."""
    if settings.llm_backend == "openai":
        return OpenAIModel(openai_client(settings), settings.llm_model or DEFAULT_OPENAI_LLM_MODEL)
    if settings.llm_model:
        path = Path(settings.llm_model).expanduser()
    else:
        from assistant.backends.bundled_model import bundled_model

        path = bundled_model(settings.cache_dir)
    options = {
        "path": path,
        "context": settings.llm_context,
        "threads": settings.llm_threads,
        "state_dir": settings.cache_dir / "llm-state",
        "lock_path": settings.cache_dir / "llm.lock",
        "lock_timeout": None if long_job else settings.llm_timeout,
    }
    if worker and settings.llm_worker:
        from assistant.worker import WorkerModel

        return WorkerModel(
            "assistant.backends.chat:LocalModel",
            options,
            f"local:{path.name}",
            max_answers=settings.llm_worker_max_answers,
            max_growth_mb=settings.llm_worker_max_growth_mb,
        )
    return LocalModel(**options)  # type: ignore[arg-type]
