"""An accepted referral is listed on its district MAAG's next meeting (once, however often it
arrives), saying so when children's social care stepped it down into the MAAG; a referral of
a child whose case is open here joins that case instead, and one accepted again after
consent came back resumes its paused case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.events.referral import ReferralAccepted
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.panel.application.lookup import agenda_open_of, find_case, open_case
from services.panel.domain.case import STEPPED_DOWN_BY_SOCIAL_CARE, PanelCase
from services.panel.domain.values import CaseStatus

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp

# Not listed by a referral accepted again: closed, joined, or waiting for social care's answer
# (which lists it itself when it steps the case down).
FINISHED_OR_AWAY = (CaseStatus.CLOSED, CaseStatus.JOINED, CaseStatus.AT_SOCIAL_CARE)


def on_referral_accepted(d: Delivery[ReferralAccepted], work: Work[PanelApp]) -> None:
    e = d.message
    case = find_case(work, e.case_id)
    into = open_case(work, e.joins_case_id)
    if case is None and into is not None:
        into.absorb(e.case_id, agenda_open_of(work, into.ref, e.occurred_at))
        work.add(into)
        return
    if case is None:
        case = PanelCase.open(e.case_id, e.district, int(e.level_of_need), e.agencies_requested)
        work.add(case)
    elif case.status is CaseStatus.PAUSED:
        case.resume()  # consent given again
        if not case.is_open:  # still waiting for the front door: to no agenda yet
            work.add(case)
            return
    elif case.status in FINISHED_OR_AWAY or case.listings:
        return  # already on an agenda (finished, or with social care): nothing changes
    work.add(case)
    reason = STEPPED_DOWN_BY_SOCIAL_CARE if e.from_social_care else "new referral"
    case.list_on(agenda_open_of(work, case.ref, e.occurred_at), reason)
