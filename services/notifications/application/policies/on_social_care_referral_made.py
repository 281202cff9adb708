"""A case referred to children's social care: its district's front door (the MASH) is told,
once, with the reason, how the case came and a link to the page where it answers. The email
names none of the child's details: the front door reads them on that page, each reading
recorded."""

from __future__ import annotations

from contracts.events.referral import SocialCareReferralMade
from contracts.reference import District, Panel, SocialCareRoute
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.policies import ask
from services.notifications.domain.known_case import KnownCase, known_case_id
from services.notifications.domain.values import Page, Recipient, Template, panel_label


def front_door_contact(district: District) -> str:
    """The directory entry of a district's front door (e.g. `front-door:harlow`)."""
    return f"front-door:{district.value}"


def on_social_care_referral_made(
    d: Delivery[SocialCareReferralMade], work: Work[NotificationsApp]
) -> None:
    e = d.message
    context = {
        "district": e.district.value.replace("-", " ").title(),
        "route": _route(e, work),
        "reason": e.reason,
    }
    key = front_door_contact(e.district)
    recipient = Recipient.found(work.app.email_of(key), "front-door", e.district.value)
    page = Page.front_door(e.case_id)
    ask(d, work, Template.FRONT_DOOR_REFERRAL, recipient, context, page=page)


def _route(e: SocialCareReferralMade, work: Work[NotificationsApp]) -> str:
    """How the case came, in words; a panel named by the tier last seen holding the case (the
    event itself does not say which panel decided)."""
    if e.route is SocialCareRoute.SIGNIFICANT_HARM:
        return "a concern of significant harm at referral"
    known = work.find(known_case_id(e.case_id))
    tier = known.tier if isinstance(known, KnownCase) else None
    if tier in {p.value for p in Panel}:
        return f"the {panel_label(Panel(tier))} panel's decision"
    return "a panel's decision"
