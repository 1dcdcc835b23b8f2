"""`POST /v1/chat/completions` and `GET /v1/models` through the `openai` Python SDK, as a chat front-end calls them.

A real uvicorn on 127.0.0.1 over the real sample index and embedder; the model is scripted (what the
endpoint does with the answer it is given). `test_reading_room.py` asks the real `assistant serve`.
"""

from __future__ import annotations

import openai
import pytest
from conftest import DAESH
from pydantic import SecretStr
from test_server import CLAIM, Server, SlowModel

from assistant.answering.followup import Turn
from assistant.server.chat_completions import ChatRequest
from assistant.settings import Settings

ASK = [{"role": "user", "content": DAESH}]


def client(server: Server, token: str = "none") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=token, max_retries=0)


def test_a_completion_carries_the_markers_a_sources_list_and_the_structured_citations(
    sample_settings: Settings, local_embedder
) -> None:
    with Server(sample_settings, SlowModel(), local_embedder) as server:
        models = client(server).models.list()
        completion = client(server).chat.completions.create(model="anything", messages=ASK)
    assert [model.id for model in models.data] == ["assistant"]
    assert completion.object == "chat.completion" and completion.model == "assistant"
    reply = completion.choices[0].message
    assert reply.role == "assistant" and completion.choices[0].finish_reason == "stop"
    answer, sources = reply.content.split("\n\nSources\n")
    citations = completion.model_extra["citations"]  # beside `choices`
    n = citations[0]["n"]
    assert answer.startswith(CLAIM.split(" [")[0]) and f"[{n}]" in answer and "Confidence" in answer
    assert sources.startswith(f"[{n}] ") and f"“{citations[0]['quote']}”" in sources
    assert "welcome" in citations[0]["quote"] and completion.model_extra["refused"] is False


def test_a_streamed_completion_is_the_same_reply_in_chunks(sample_settings: Settings, local_embedder) -> None:
    with Server(sample_settings, SlowModel(), local_embedder) as server:
        whole = client(server).chat.completions.create(model="assistant", messages=ASK)
        chunks = list(client(server).chat.completions.create(model="assistant", messages=ASK, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert len(chunks) >= 4 and text == whole.choices[0].message.content  # role, answer, sources, finish
    assert [chunk.choices[0].finish_reason for chunk in chunks][-1] == "stop"
    assert chunks[-1].model_extra["citations"] == whole.model_extra["citations"]


def test_earlier_turns_are_the_history_of_a_follow_up(sample_settings: Settings, local_embedder) -> None:
    model = SlowModel()
    with Server(sample_settings, model, local_embedder) as server:
        first = client(server).chat.completions.create(model="assistant", messages=ASK)
        reply = first.choices[0].message.content
        messages = [
            {"role": "system", "content": "You are a helpful assistant."},  # a front-end's own: ignored
            {"role": "user", "content": DAESH},
            {"role": "assistant", "content": reply},
            {"role": "user", "content": [{"type": "text", "text": "And what did Turkey say?"}]},
        ]
        client(server).chat.completions.create(model="assistant", messages=messages)
    follow_up = model.prompts[-1][-1]["content"]
    assert "And what did Turkey say?" in follow_up and DAESH in follow_up  # read in the light of the first
    request = ChatRequest.model_validate({"messages": [*messages[1:3], {"role": "user", "content": "Why?"}]})
    assert request.as_question().history == [Turn(question=DAESH, answer=reply.split("\n\nSources\n")[0])]


def test_the_token_guards_the_chat_endpoint_and_bad_requests_are_422(sample_settings: Settings, local_embedder) -> None:
    settings = sample_settings.model_copy(update={"server_token": SecretStr("s3cret-token")})
    with Server(settings, SlowModel(), local_embedder) as server:
        with pytest.raises(openai.AuthenticationError):
            client(server, "wrong").chat.completions.create(model="assistant", messages=ASK)
        with pytest.raises(openai.AuthenticationError):
            client(server, "wrong").models.list()
        right = client(server, "s3cret-token")
        assert right.chat.completions.create(model="assistant", messages=ASK).choices
        with pytest.raises(openai.UnprocessableEntityError, match="last message must be the user"):
            right.chat.completions.create(model="assistant", messages=[{"role": "assistant", "content": "Hello"}])
        with pytest.raises(openai.UnprocessableEntityError, match="messages: List should have at least 1 item"):
            right.chat.completions.create(model="assistant", messages=[])
