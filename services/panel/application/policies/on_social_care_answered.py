"""Children's social care's front door answered a case the panel referred to it: taken on,
the case closes (as decided at the meeting that referred it); stepped down, it is active
again, held by its district's MAAG and listed on that MAAG's next open agenda, its reviews
still to come with it. A case the panel never referred (one referred at triage) is the
referral service's to accept afterwards (`ReferralAccepted`, from social care)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.referral import SocialCareAnswered
from contracts.reference import Panel, SocialCareAnswer
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.panel.application.lookup import agenda_open_of, find_case, relist_reviews

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


def on_social_care_answered(d: Delivery[SocialCareAnswered], work: Work[PanelApp]) -> None:
    e = d.message
    case = find_case(work, e.case_id)
    if case is None or not case.waiting_for_social_care:
        return  # not the panel's referral, or answered already
    work.act_as(e.actor.model_dump(mode="json"))  # the front door's answer, not the service's
    if e.answer is SocialCareAnswer.ACCEPTED:
        case.taken_on_by_social_care()
        work.add(case)
        return
    meeting = agenda_open_of(work, case.ref_for(Panel.MAAG), e.occurred_at)
    case.stepped_down_by_social_care(meeting)
    work.add(case, meeting)
    if case.is_open:  # paused meanwhile: listed, with its reviews, when consent returns
        relist_reviews(work, case, meeting.starts_at)  # its reviews come back with it
