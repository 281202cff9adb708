"""Consent was withdrawn: unless work goes on under a safeguarding basis, the case's
packages stop from the day it was withdrawn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.commissioning import DecommissionReason
from contracts.events.referral import ConsentWithdrawn
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import SERVICE
from services.commissioning.application.commands.decommission_case import DecommissionCase

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


def on_consent_withdrawn(d: Delivery[ConsentWithdrawn], work: Work[CommissioningApp]) -> None:
    e = d.message
    if e.continues_on_safeguarding_basis:
        return
    work.app.handle(
        DecommissionCase(
            case_id=e.case_id,
            reason=DecommissionReason.CONSENT_WITHDRAWN,
            effective_from=e.withdrawn_on,
            caller=SERVICE,
            correlation_id=d.correlation_id or str(e.case_id),
        ),
        work,
    )
