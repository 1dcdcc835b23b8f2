"""The models: the embedder, and the chat models (embedded llama.cpp or an OpenAI-compatible server)."""
