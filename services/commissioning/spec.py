"""The commissioning service as the rest of the system knows it (see `maag.runtime.spec`)."""

from __future__ import annotations

from contracts.topics import COMMISSIONING_EVENTS, PANEL_EVENTS, REFERRAL_EVENTS
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
    # the boards' report: a projection of all three, rebuildable from their beginning
    reads=(REFERRAL_EVENTS, PANEL_EVENTS, COMMISSIONING_EVENTS),
)
