"""Adapters: HTTP (bodies, views, routes), inbound topics, outbox translation, the read
model."""
