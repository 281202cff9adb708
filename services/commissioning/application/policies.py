"""What commissioning does when the panel or the referral service says something: one
policy per inbound event (`adapters/inbound.py` routes each event type here), each over
the consumer's unit of work and idempotent however often the event arrives."""

from __future__ import annotations

from contracts.events.panel import CaseClosed, PackageRequested, PackageReviewDecided
from contracts.events.referral import ConsentWithdrawn
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.packages import (
    commission,
    decommission_case,
    review_package,
)
from services.commissioning.domain.aggregates import Package, Refusal
from services.commissioning.domain.rules import CommissioningRefused


def package_requested(work: Work, e: PackageRequested) -> None:
    work.act_as(e.actor.model_dump(mode="json"))  # the panel member who asked for it
    commission(
        work,
        package_id=e.package_id,
        case_id=e.case_id,
        panel=e.panel,
        district=e.district.value,
        interventions=[i.model_dump(mode="json") for i in e.interventions],
        alternative_to=[a.value for a in e.alternative_to],
        funding_split=[(s.agency, s.percent) for s in e.funding_split],
    )


def case_closed(work: Work, e: CaseClosed) -> None:
    decommission_case(work, e.case_id, "case-closed", e.occurred_at.date())


def consent_withdrawn(work: Work, e: ConsentWithdrawn) -> None:
    if not e.continues_on_safeguarding_basis:
        decommission_case(work, e.case_id, "consent-withdrawn", e.withdrawn_on)


def review_decided(work: Work, e: PackageReviewDecided) -> None:
    """Carry out the panel's review; what cannot be carried out (a recommission with no room
    or money) goes back to the panel as a failure, with the reason."""
    package = work.find(e.package_id)
    if not isinstance(package, Package) or package.status != "active":
        return  # nothing to carry out: already ended, or never commissioned here
    work.act_as(e.actor.model_dump(mode="json"))  # the chair who recorded it
    try:
        review_package(
            work,
            package,
            e.goals,
            e.level_of_need_change,
            e.decision.value,
            e.effective_from,
            [i.model_dump(mode="json") for i in e.interventions],
        )
    except CommissioningRefused as refused:
        # Refused as a whole: the review's own event, recorded first, is dropped with it
        # (what would have changed capacity or money is checked before anything changes).
        package.collect_events()
        if work.find(Refusal.create_id(e.package_id)) is None:
            work.add(
                Refusal(
                    package_id=e.package_id,
                    case_id=e.case_id,
                    panel=e.panel.value,
                    reason=refused.reason,
                    detail=str(refused),
                )
            )
