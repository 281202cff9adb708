"""The panel reviewed a package: carry out its decision (what cannot be carried out goes
back to the panel as a refusal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.commissioning import ReviewOutcome
from contracts.events.panel import PackageReviewDecided
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import SERVICE
from services.commissioning.application.commands.review_package import ReviewPackage

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


def on_package_review_decided(
    d: Delivery[PackageReviewDecided], work: Work[CommissioningApp]
) -> None:
    e = d.message
    work.act_as(e.actor.model_dump(mode="json"))  # the chair who recorded it
    work.app.handle(
        ReviewPackage(
            package_id=e.package_id,
            case_id=e.case_id,
            panel=e.panel,
            goals=ReviewOutcome(e.goals),
            level_of_need_change=e.level_of_need_change,
            decision=e.decision,
            effective_from=e.effective_from,
            interventions=tuple(e.interventions),
            meeting_id=e.meeting_id,
            caller=SERVICE,
            correlation_id=d.correlation_id or str(e.case_id),
        ),
        work,
    )
