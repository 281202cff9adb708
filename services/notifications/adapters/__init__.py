"""Adapters: HTTP, inbound topics, outbox translation, read models."""
