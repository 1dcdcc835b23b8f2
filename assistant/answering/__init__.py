"""A question answered: retrieval, evidence, the prompt, the streamed answer and the check of its citations."""
