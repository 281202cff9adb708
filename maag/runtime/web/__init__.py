"""The HTTP side every service shares: the API's plumbing, the caller's token, metrics."""
