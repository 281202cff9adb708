"""Audit: one case's history across the services, and its state as of any time."""
