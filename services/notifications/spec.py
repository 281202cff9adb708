"""The notifications service as the rest of the system knows it (see `maag.runtime.spec`)."""

from __future__ import annotations

from contracts.topics import COMMISSIONING_EVENTS, PANEL_EVENTS, REFERRAL_EVENTS
from maag.runtime.spec import ServiceSpec
from services.notifications.audit import AUDIT

SPEC = ServiceSpec(
    name="notifications",
    port=8004,
    consumes=(
        PANEL_EVENTS,
        COMMISSIONING_EVENTS,
        REFERRAL_EVENTS,  # a case referred to children's social care: its front door told
    ),
    audit=AUDIT,
)
