"""Use cases: one command and handler each, and one policy per inbound event."""
