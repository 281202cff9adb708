"""The events the notifications service follows, each routed to its policy
(`application/policies.py`)."""

from __future__ import annotations

from contracts.events.commissioning import PackageCommissioned, PackageDecommissioned
from contracts.events.panel import (
    CaseEscalated,
    CaseListed,
    CasePaused,
    CaseSteppedDown,
    CommissioningFailureListed,
    LeadProfessionalAssigned,
    ReviewListed,
)
from maag.runtime.messaging.consumer import Subscription, on_events
from services.notifications.application.policies import Requests, case_placed


def subscriptions(
    requests: Requests, panel_topic: str, commissioning_topic: str
) -> list[Subscription]:
    return [
        on_events(
            panel_topic,
            {
                LeadProfessionalAssigned: requests.lead_assigned,
                CasePaused: requests.case_paused,
                ReviewListed: requests.review_listed,
                CommissioningFailureListed: requests.commissioning_failure_listed,
                CaseListed: case_placed,
                CaseEscalated: case_placed,
                CaseSteppedDown: case_placed,
            },
        ),
        on_events(
            commissioning_topic,
            {
                PackageCommissioned: requests.package_commissioned,
                PackageDecommissioned: requests.package_decommissioned,
            },
        ),
    ]
