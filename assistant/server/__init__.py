"""The reading room: `assistant serve` (HTTP API and web page) and its thin client."""
