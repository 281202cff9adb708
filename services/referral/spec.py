"""The referral service as the rest of the system knows it (see `maag.runtime.spec`)."""

from __future__ import annotations

from contracts.topics import FRONT_DOOR, OUTCOME_TOPICS, PANEL_EVENTS, REFERRAL_SUBMISSIONS
from maag.runtime.spec import ServiceSpec
from services.referral.audit import AUDIT

SPEC = ServiceSpec(
    name="referral",
    port=8001,
    consumes=(REFERRAL_SUBMISSIONS, PANEL_EVENTS),
    audit=AUDIT,
    # each agency's own outcomes, and the front door's cases (only this service writes them)
    tells=(*OUTCOME_TOPICS, FRONT_DOOR),
)
