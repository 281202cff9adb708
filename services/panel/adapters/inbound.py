"""Events the panel service follows: accepted referrals and consent withdrawals from the
referral service, commissioned packages (for reviews) from the commissioning service."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from contracts.events.commissioning import (
    CommissioningFailed,
    PackageCommissioned,
    PackageDecommissioned,
    PackageReviewed,
)
from contracts.events.referral import ChildMatchConfirmed, ConsentWithdrawn, ReferralAccepted
from contracts.reference import Panel
from maag.runtime.messaging.consumer import Delivery, Subscription, on_events
from maag.runtime.store.unit_of_work import Work
from services.panel.application import policies as use
from services.panel.domain.schedule import PanelRef, meeting_id, next_meeting


def on_referral_accepted(d: Delivery[ReferralAccepted], work: Work) -> None:
    e = d.message
    use.referral_accepted(
        work,
        e.case_id,
        e.district.value,
        int(e.level_of_need),
        [a.value for a in e.agencies_requested],
        e.occurred_at,
        e.joins_case_id,
    )


def on_child_match_confirmed(d: Delivery[ChildMatchConfirmed], work: Work) -> None:
    e = d.message
    use.child_match_confirmed(work, e.case_id, e.joins_case_id, e.occurred_at)


def on_consent_withdrawn(d: Delivery[ConsentWithdrawn], work: Work) -> None:
    e = d.message
    use.consent_withdrawn(work, e.case_id, e.continues_on_safeguarding_basis)


def on_package_commissioned(d: Delivery[PackageCommissioned], work: Work) -> None:
    e = d.message
    use.package_commissioned(
        work,
        e.case_id,
        e.package_id,
        Panel(e.panel),
        e.review_on,
    )


def on_commissioning_failed(d: Delivery[CommissioningFailed], work: Work) -> None:
    e = d.message
    use.commissioning_failed(
        work, e.case_id, e.package_id, Panel(e.panel), e.reason, e.detail, e.occurred_at
    )


def on_package_reviewed(d: Delivery[PackageReviewed], work: Work) -> None:
    e = d.message
    use.package_reviewed(work, e.case_id, e.package_id, e.level_of_need_change, e.next_review_on)


def on_package_decommissioned(d: Delivery[PackageDecommissioned], work: Work) -> None:
    e = d.message
    use.package_decommissioned(work, e.case_id, e.package_id, e.reason.value)


def _prefetch(d: Delivery[Any]) -> list[UUID]:
    e = d.message
    ids = [e.case_id]
    if isinstance(e, ReferralAccepted | ChildMatchConfirmed) and e.joins_case_id:
        ids.append(e.joins_case_id)
    if isinstance(e, ReferralAccepted):  # and the meeting it will be listed on
        ref = PanelRef(Panel.MAAG, e.district)
        ids.append(meeting_id(ref, next_meeting(ref, e.occurred_at)))
    return ids


def subscriptions(referral_topic: str, commissioning_topic: str) -> list[Subscription]:
    return [
        on_events(
            referral_topic,
            {
                ReferralAccepted: on_referral_accepted,
                ConsentWithdrawn: on_consent_withdrawn,
                ChildMatchConfirmed: on_child_match_confirmed,
            },
            prefetch=_prefetch,
        ),
        on_events(
            commissioning_topic,
            {
                PackageCommissioned: on_package_commissioned,
                CommissioningFailed: on_commissioning_failed,
                PackageReviewed: on_package_reviewed,
                PackageDecommissioned: on_package_decommissioned,
            },
            prefetch=_prefetch,
        ),
    ]
