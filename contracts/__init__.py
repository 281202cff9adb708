"""The published integration surface: event models, topics, the envelope, JSON Schema and AsyncAPI.

Agencies integrate against what is here; everything in it changes only backward-compatibly
(see `compatibility.py` and the checked-in `schemas/`).
"""
