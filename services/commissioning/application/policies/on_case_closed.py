"""The panel closed a case: its packages stop from the day it closed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.commissioning import DecommissionReason
from contracts.events.panel import CaseClosed
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import SERVICE
from services.commissioning.application.commands.decommission_case import DecommissionCase

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


def on_case_closed(d: Delivery[CaseClosed], work: Work[CommissioningApp]) -> None:
    e = d.message
    work.app.handle(
        DecommissionCase(
            case_id=e.case_id,
            reason=DecommissionReason.CASE_CLOSED,
            effective_from=e.occurred_at.date(),
            caller=SERVICE,
            correlation_id=d.correlation_id or str(e.case_id),
        ),
        work,
    )
