"""The notification aggregate: an email asked for, then sent or failed (no I/O)."""
