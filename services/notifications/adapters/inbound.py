"""The events the notifications service follows, each routed to its policy
(`application/policies/on_<event>.py`): one table per topic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from contracts.events import IntegrationEvent
from contracts.events.commissioning import PackageCommissioned, PackageDecommissioned
from contracts.events.panel import (
    AgendaCirculated,
    CaseClosed,
    CaseEscalated,
    CaseListed,
    CasePaused,
    CaseSteppedDown,
    CommissioningFailureListed,
    LeadProfessionalAssigned,
    ReviewListed,
)
from contracts.events.referral import SocialCareReferralMade
from maag.runtime.messaging.consumer import Delivery, Handler, Subscription, on_events
from services.notifications.application.policies.on_agenda_circulated import (
    on_agenda_circulated,
)
from services.notifications.application.policies.on_case_closed import on_case_closed
from services.notifications.application.policies.on_case_listed import on_case_listed
from services.notifications.application.policies.on_case_moved import on_case_moved
from services.notifications.application.policies.on_case_paused import on_case_paused
from services.notifications.application.policies.on_commissioning_failure_listed import (
    on_commissioning_failure_listed,
)
from services.notifications.application.policies.on_lead_professional_assigned import (
    on_lead_professional_assigned,
)
from services.notifications.application.policies.on_package_commissioned import (
    on_package_commissioned,
)
from services.notifications.application.policies.on_package_decommissioned import (
    on_package_decommissioned,
)
from services.notifications.application.policies.on_review_listed import on_review_listed
from services.notifications.application.policies.on_social_care_referral_made import (
    on_social_care_referral_made,
)
from services.notifications.domain.known_case import known_case_id
from services.notifications.domain.notification import notification_id
from services.notifications.domain.values import Recipient, Template

PANEL: dict[type[IntegrationEvent], Handler] = {
    LeadProfessionalAssigned: on_lead_professional_assigned,
    CasePaused: on_case_paused,
    ReviewListed: on_review_listed,
    CommissioningFailureListed: on_commissioning_failure_listed,
    CaseListed: on_case_listed,
    CaseEscalated: on_case_moved,
    CaseSteppedDown: on_case_moved,
    CaseClosed: on_case_closed,
    AgendaCirculated: on_agenda_circulated,
}
COMMISSIONING: dict[type[IntegrationEvent], Handler] = {
    PackageCommissioned: on_package_commissioned,
    PackageDecommissioned: on_package_decommissioned,
}
REFERRAL: dict[type[IntegrationEvent], Handler] = {
    SocialCareReferralMade: on_social_care_referral_made,
}


def _lead_told(d: Delivery[LeadProfessionalAssigned]) -> list[UUID]:
    # the email its policy asks for, found already if the event came before
    assert d.envelope is not None  # MAAG event topics always carry one
    recipient = Recipient(str(d.message.work_email))
    return [notification_id(d.envelope.id, Template.LEAD_PROFESSIONAL_ASSIGNED, recipient.address)]


# Besides what is known of the event's case, what each kind of event's policy will load.
ALSO_LOADS: dict[type[IntegrationEvent], Callable[[Any], list[UUID]]] = {
    LeadProfessionalAssigned: _lead_told,
}


def prefetch(d: Delivery[IntegrationEvent]) -> list[UUID]:
    """The aggregates a delivery's policy will load, read for the whole batch at once (one
    query a batch, not one or two a message)."""
    also = ALSO_LOADS.get(type(d.message))
    return [known_case_id(d.message.case_id), *(also(d) if also else [])]


def subscriptions(
    panel_topic: str, commissioning_topic: str, referral_topic: str
) -> list[Subscription]:
    return [
        on_events(panel_topic, PANEL, prefetch=prefetch),
        on_events(commissioning_topic, COMMISSIONING, prefetch=prefetch),
        on_events(referral_topic, REFERRAL, prefetch=prefetch),
    ]
