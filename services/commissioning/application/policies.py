"""What commissioning does when the panel or the referral service says something: one
policy per inbound event (`adapters/inbound.py` routes each event type here), each over
the consumer's unit of work and idempotent however often the event arrives."""

from __future__ import annotations

from contracts.events.panel import CaseClosed, PackageRequested
from contracts.events.referral import ConsentWithdrawn
from maag.runtime.unit_of_work import Work
from services.commissioning.application.packages import commission, decommission_case


def package_requested(work: Work, e: PackageRequested, jap_split: list[tuple[str, int]]) -> None:
    work.act_as(e.actor.model_dump(mode="json"))  # the panel member who asked for it
    commission(
        work,
        package_id=e.package_id,
        case_id=e.case_id,
        panel=e.panel,
        district=e.district.value,
        interventions=[i.model_dump(mode="json") for i in e.interventions],
        jap_split=jap_split,
    )


def case_closed(work: Work, e: CaseClosed) -> None:
    decommission_case(work, e.case_id, "case-closed", e.occurred_at.date())


def consent_withdrawn(work: Work, e: ConsentWithdrawn) -> None:
    if not e.continues_on_safeguarding_basis:
        decommission_case(work, e.case_id, "consent-withdrawn", e.withdrawn_on)
