"""The notifications service as the rest of the system knows it (see `maag.runtime.spec`)."""

from __future__ import annotations

from contracts.topics import COMMISSIONING_EVENTS, PANEL_EVENTS
from maag.runtime.spec import ServiceSpec
from services.notifications.audit import AUDIT

SPEC = ServiceSpec(
    name="notifications",
    port=8004,
    consumes=(
        PANEL_EVENTS,
        COMMISSIONING_EVENTS,
    ),
    audit=AUDIT,
)
