"""An OpenAI-compatible `/v1/embeddings` server for the tests, serving the real local MiniLM.

llama.cpp's server returns one vector per token for a chat model, so the openai embedding
path is tested against this one instead: `python tests/embedding_server.py PORT`.
"""

from __future__ import annotations

import base64
import sys

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

from assistant.backends.embeddings import LocalEmbedder

app = FastAPI()
embedder = LocalEmbedder()


class EmbeddingRequest(BaseModel):
    model: str
    input: str | list[str]
    encoding_format: str = "float"


@app.get("/v1/models")
def models() -> dict:
    return {"object": "list", "data": [{"id": "minilm", "object": "model", "owned_by": "tests"}]}


@app.post("/v1/embeddings")
def embeddings(request: EmbeddingRequest) -> dict:
    texts = [request.input] if isinstance(request.input, str) else request.input
    vectors = embedder.embed(texts)
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": base64.b64encode(v.tobytes()).decode() if request.encoding_format == "base64" else v.tolist(),
        }
        for i, v in enumerate(vectors)
    ]
    usage = {"prompt_tokens": sum(len(t.split()) for t in texts), "total_tokens": sum(len(t.split()) for t in texts)}
    return {"object": "list", "model": request.model, "data": data, "usage": usage}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
