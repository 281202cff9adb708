"""The published event models; `contracts.topics` says which topic carries each, and so
which types exist (`contracts.topics.EVENT_TYPES`)."""

from __future__ import annotations

from contracts.events.base import Actor, IntegrationEvent

__all__ = ["Actor", "IntegrationEvent"]
