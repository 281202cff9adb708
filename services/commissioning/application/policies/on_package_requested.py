"""The panel agreed a package: commission it (or refuse it back to the panel)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.panel import PackageRequested
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import SERVICE
from services.commissioning.application.commands.commission_package import CommissionPackage
from services.commissioning.domain.values import FundingSplit

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


def on_package_requested(d: Delivery[PackageRequested], work: Work[CommissioningApp]) -> None:
    e = d.message
    work.act_as(e.actor.model_dump(mode="json"))  # the panel member who asked for it
    work.app.handle(
        CommissionPackage(
            package_id=e.package_id,
            case_id=e.case_id,
            panel=e.panel,
            district=e.district.value,
            interventions=tuple(e.interventions),
            alternative_to=tuple(e.alternative_to),
            funding_split=FundingSplit.of(e.funding_split),
            meeting_id=e.meeting_id,
            caller=SERVICE,
            correlation_id=d.correlation_id or str(e.case_id),
        ),
        work,
    )
