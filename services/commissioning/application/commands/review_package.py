"""Carry out a package's review as its panel decided: continue (reviewed again at the
package's own interval), recommission with the interventions given, or decommission, from
the date the panel gave. What cannot be carried out (a recommission with no room or money)
changes nothing and goes back to the panel as a refusal (`CommissioningFailed`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from contracts.events.commissioning import DecommissionReason, ReviewOutcome
from contracts.events.panel import ReviewDecision
from contracts.reference import Panel
from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import handlers
from services.commissioning.application.commands.decommission_package import (
    decommission_package,
)
from services.commissioning.application.commands.recommission_package import (
    recommission_package,
)
from services.commissioning.domain.aggregates import Package, Refusal
from services.commissioning.domain.rules import CommissioningRefused, next_review_on
from services.commissioning.domain.values import Intervention, RefusalReason

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


@dataclass(frozen=True, kw_only=True)
class ReviewPackage(Command):
    package_id: UUID
    case_id: UUID
    panel: Panel
    goals: ReviewOutcome
    level_of_need_change: int
    decision: ReviewDecision
    effective_from: date
    interventions: tuple[Intervention, ...] = ()  # a recommission's, from `effective_from`
    meeting_id: UUID | None = None  # the meeting that decided it: each refusal is its own


@handlers(ReviewPackage)
def review_package(
    app: CommissioningApp, command: ReviewPackage, work: Work[CommissioningApp]
) -> Package | Refusal | None:
    """The package reviewed, the refusal sent back, or None: nothing to carry out (the
    package ended already, or was never commissioned here)."""
    package = work.find(command.package_id)
    if not isinstance(package, Package) or not package.active:
        return None
    try:
        carry_out(work, package, command)
    except CommissioningRefused as refused:
        # Refused as a whole: the review's own event, recorded first, is dropped with it
        # (what would have changed capacity or money is checked before anything changes).
        package.collect_events()
        if work.find(Refusal.create_id(command.package_id, command.meeting_id)) is not None:
            return None  # this review's refusal is already made
        refusal = Refusal.of(
            command.package_id,
            command.case_id,
            command.panel,
            refused,
            command.meeting_id,
            district=package.district,
            meeting=command.meeting_id,
        )
        work.add(refusal)
        return refusal
    return package


def carry_out(work: Work[CommissioningApp], package: Package, review: ReviewPackage) -> None:
    """The review recorded, then its decision carried out (refused as a whole)."""
    next_review = None
    if review.decision in (ReviewDecision.CONTINUE, ReviewDecision.RECOMMISSION):
        next_review = next_review_on(package.review_on, package.review_weeks)
    if review.decision is ReviewDecision.RECOMMISSION and not review.interventions:
        raise CommissioningRefused(
            RefusalReason.NO_INTERVENTIONS, "a recommission needs the changed interventions"
        )
    package.review(review.goals, review.level_of_need_change, review.decision, next_review)
    if review.decision is ReviewDecision.DECOMMISSION:
        reason = (
            DecommissionReason.OUTCOMES_MET
            if review.goals is ReviewOutcome.MET
            else DecommissionReason.NOT_EFFECTIVE
        )
        decommission_package(work, package, reason, review.effective_from, work.app.today())
    elif review.decision is ReviewDecision.RECOMMISSION:
        recommission_package(
            work, package, review.interventions, review.effective_from, work.app.today()
        )
    work.add(package)
