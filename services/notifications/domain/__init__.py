"""The emails asked for (now, or kept for their day), then sent or failed, and what is known
of each case's scope; the facts as types (`values.py`). No I/O."""
