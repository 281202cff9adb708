"""The commissioning service as the rest of the system knows it (see `maag.runtime.spec`)."""

from __future__ import annotations

from contracts.topics import PANEL_EVENTS, REFERRAL_EVENTS
from maag.runtime.spec import ServiceSpec
from services.commissioning.audit import AUDIT

SPEC = ServiceSpec(
    name="commissioning",
    port=8003,
    consumes=(
        PANEL_EVENTS,
        REFERRAL_EVENTS,
    ),
    audit=AUDIT,
)
