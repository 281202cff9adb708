"""Modules whose aggregates are in stores under their old topics. A stored event's topic
names the module its class was in when it was recorded; these modules moved into the
runtime's rooms, so their old names are registered with the library's topic resolver
(`eventsourcing.utils.register_topic`, its public way to follow a moved module)."""

from __future__ import annotations

import importlib
from functools import cache

from eventsourcing.utils import register_topic

MOVED = {
    "maag.runtime.idempotency": "maag.runtime.store.idempotency",
    "maag.runtime.incarnation": "maag.runtime.store.incarnation",
    "maag.runtime.reads": "maag.runtime.evidence.reads",
}


@cache
def follow_moved_modules() -> None:
    """Once per process, before any store is read."""
    for old, new in MOVED.items():
        register_topic(old, importlib.import_module(new))
