"""Events the panel service follows, each routed by a table to its policy: accepted referrals,
confirmed matches, consent withdrawals and children's social care's answers from the referral
service; commissioned, failed, reviewed and decommissioned packages from the commissioning
service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from contracts.events import IntegrationEvent
from contracts.events.commissioning import (
    CommissioningFailed,
    PackageCommissioned,
    PackageDecommissioned,
    PackageReviewed,
)
from contracts.events.referral import (
    ChildMatchConfirmed,
    ConsentWithdrawn,
    PersonalDataErased,
    ReferralAccepted,
    SocialCareAnswered,
)
from contracts.reference import Panel
from maag.runtime.messaging.consumer import Delivery, Handler, Subscription, on_events
from services.panel.application.policies.on_child_match_confirmed import on_child_match_confirmed
from services.panel.application.policies.on_commissioning_failed import on_commissioning_failed
from services.panel.application.policies.on_consent_withdrawn import on_consent_withdrawn
from services.panel.application.policies.on_package_commissioned import on_package_commissioned
from services.panel.application.policies.on_package_decommissioned import (
    on_package_decommissioned,
)
from services.panel.application.policies.on_package_reviewed import on_package_reviewed
from services.panel.application.policies.on_personal_data_erased import on_personal_data_erased
from services.panel.application.policies.on_referral_accepted import on_referral_accepted
from services.panel.application.policies.on_social_care_answered import on_social_care_answered
from services.panel.domain.schedule import PanelRef, agenda_open_at, meeting_id

REFERRAL_POLICIES: Mapping[type[IntegrationEvent], Handler] = {
    ReferralAccepted: on_referral_accepted,
    ConsentWithdrawn: on_consent_withdrawn,
    ChildMatchConfirmed: on_child_match_confirmed,
    PersonalDataErased: on_personal_data_erased,
    SocialCareAnswered: on_social_care_answered,
}
COMMISSIONING_POLICIES: Mapping[type[IntegrationEvent], Handler] = {
    PackageCommissioned: on_package_commissioned,
    CommissioningFailed: on_commissioning_failed,
    PackageReviewed: on_package_reviewed,
    PackageDecommissioned: on_package_decommissioned,
}


def _accepted(e: ReferralAccepted) -> list[UUID]:
    # the case it may join, and the meeting it will be listed on
    ref = PanelRef(Panel.MAAG, e.district)
    joins = [e.joins_case_id] if e.joins_case_id else []
    return [*joins, meeting_id(ref, agenda_open_at(ref, e.occurred_at))]


def _answered(e: SocialCareAnswered) -> list[UUID]:
    # stepped down: the district MAAG's meeting that will list it
    ref = PanelRef(Panel.MAAG, e.district)
    return [meeting_id(ref, agenda_open_at(ref, e.occurred_at))]


def _matched(e: ChildMatchConfirmed) -> list[UUID]:
    return [e.joins_case_id] if e.joins_case_id else []


# Besides the event's case, what each kind of event's policy will load.
ALSO_LOADS: dict[type[IntegrationEvent], Callable[[Any], list[UUID]]] = {
    ReferralAccepted: _accepted,
    ChildMatchConfirmed: _matched,
    SocialCareAnswered: _answered,
}


def prefetch(d: Delivery[IntegrationEvent]) -> list[UUID]:
    """The aggregates a delivery's policy will load, read for the whole batch at once."""
    also = ALSO_LOADS.get(type(d.message))
    return [d.message.case_id, *(also(d.message) if also else [])]


def subscriptions(referral_topic: str, commissioning_topic: str) -> list[Subscription]:
    return [
        on_events(referral_topic, REFERRAL_POLICIES, prefetch=prefetch),
        on_events(commissioning_topic, COMMISSIONING_POLICIES, prefetch=prefetch),
    ]
