"""Articles in: files and web pages read, cleaned, chunked and written to the index."""
