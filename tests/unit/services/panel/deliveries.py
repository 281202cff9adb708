"""Other services' events delivered to the panel's policies as its consumer delivers them
(through `adapters/inbound.py`'s tables), for tests that need no Kafka: one function per
event, taking what the test cares about."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from contracts.events import Actor, IntegrationEvent
from contracts.events.commissioning import (
    CommissionedIntervention,
    CommissioningFailed,
    DecommissionReason,
    PackageCommissioned,
    PackageDecommissioned,
    PackageReviewed,
    ReviewOutcome,
)
from contracts.events.referral import (
    ChildMatchConfirmed,
    ConsentWithdrawn,
    ReferralAccepted,
    SocialCareAnswered,
)
from contracts.reference import (
    Agency,
    District,
    LevelOfNeed,
    Panel,
    Role,
    SocialCareAnswer,
    SocialCareRoute,
)
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.panel.adapters.inbound import COMMISSIONING_POLICIES, REFERRAL_POLICIES

SERVICE = Actor(user_id="another-service", role=Role.SYSTEM, agency="maag")
POLICIES = {**REFERRAL_POLICIES, **COMMISSIONING_POLICIES}


def deliver(work: Work, event: IntegrationEvent) -> None:
    POLICIES[type(event)](Delivery(event, None, "test.events", 0, 0), work)


def referral_accepted(
    work: Work,
    case_id: UUID,
    district: str,
    level_of_need: int,
    agencies: list[str],
    at: datetime,
    joins_case_id: UUID | None = None,
    from_social_care: bool = False,
) -> None:
    deliver(
        work,
        ReferralAccepted(
            case_id=case_id,
            occurred_at=at,
            actor=SERVICE,
            district=District(district),
            panel=Panel.MAAG,
            level_of_need=LevelOfNeed(level_of_need),
            agencies_requested=[Agency(a) for a in agencies],
            reason="accepted",
            joins_case_id=joins_case_id,
            from_social_care=from_social_care,
        ),
    )


def social_care_answered(
    work: Work,
    case_id: UUID,
    answer: str,
    at: datetime,
    district: str = "harlow",
    route: str = "panel",
) -> None:
    deliver(
        work,
        SocialCareAnswered(
            case_id=case_id,
            occurred_at=at,
            actor=SERVICE,
            district=District(district),
            answer=SocialCareAnswer(answer),
            route=SocialCareRoute(route),
        ),
    )


def child_match_confirmed(
    work: Work, case_id: UUID, joins_case_id: UUID | None, at: datetime
) -> None:
    deliver(
        work,
        ChildMatchConfirmed(
            case_id=case_id,
            occurred_at=at,
            actor=SERVICE,
            child_id=uuid4(),
            joins_case_id=joins_case_id,
        ),
    )


def consent_withdrawn(work: Work, case_id: UUID, continues: bool) -> None:
    deliver(
        work,
        ConsentWithdrawn(
            case_id=case_id,
            occurred_at=datetime.now(UTC),
            actor=SERVICE,
            withdrawn_on=date(2026, 11, 27),
            continues_on_safeguarding_basis=continues,
        ),
    )


def package_commissioned(
    work: Work, case_id: UUID, package_id: UUID, panel: Panel, review_on: date
) -> None:
    deliver(
        work,
        PackageCommissioned(
            case_id=case_id,
            occurred_at=datetime.now(UTC),
            actor=SERVICE,
            package_id=package_id,
            panel=panel,
            interventions=[
                CommissionedIntervention(
                    service="therapy", provider_id="p-1", hours_per_week=2, weekly_cost_pence=1
                )
            ],
            weekly_cost_pence=1,
            starts_on=date(2026, 12, 7),
            review_on=review_on,
        ),
    )


def commissioning_failed(
    work: Work,
    case_id: UUID,
    package_id: UUID,
    panel: Panel,
    reason: str,
    detail: str,
    at: datetime,
) -> None:
    deliver(
        work,
        CommissioningFailed(
            case_id=case_id,
            occurred_at=at,
            actor=SERVICE,
            package_id=package_id,
            panel=panel,
            reason=reason,
            detail=detail,
        ),
    )


def package_reviewed(
    work: Work, case_id: UUID, package_id: UUID, change: int, next_review_on: date | None
) -> None:
    deliver(
        work,
        PackageReviewed(
            case_id=case_id,
            occurred_at=datetime.now(UTC),
            actor=SERVICE,
            package_id=package_id,
            goals=ReviewOutcome.PARTLY,
            level_of_need_change=change,
            decision="continue",
            next_review_on=next_review_on,
        ),
    )


def package_decommissioned(work: Work, case_id: UUID, package_id: UUID, reason: str) -> None:
    deliver(
        work,
        PackageDecommissioned(
            case_id=case_id,
            occurred_at=datetime.now(UTC),
            actor=SERVICE,
            package_id=package_id,
            reason=DecommissionReason(reason),
            effective_from=date(2027, 3, 2),
        ),
    )
