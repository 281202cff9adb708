"""The panel service as the rest of the system knows it (see `maag.runtime.spec`)."""

from __future__ import annotations

from contracts.topics import COMMISSIONING_EVENTS, REFERRAL_EVENTS
from maag.runtime.spec import ServiceSpec
from services.panel.audit import AUDIT

SPEC = ServiceSpec(
    name="panel",
    port=8002,
    consumes=(
        REFERRAL_EVENTS,
        COMMISSIONING_EVENTS,
    ),
    audit=AUDIT,
)
