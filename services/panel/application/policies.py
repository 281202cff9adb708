"""What the panel does when another service's event arrives: one policy per inbound event
(`adapters/inbound.py` routes each event type to its policy), each over the consumer's
unit of work, idempotent however often the event arrives."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from contracts.reference import Panel
from maag.runtime.store.unit_of_work import Work
from services.panel.application.meetings import meeting_at
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.schedule import first_meeting_on_or_after, next_meeting


def referral_accepted(
    work: Work,
    case_id: UUID,
    district: str,
    level_of_need: int,
    agencies: list[str],
    at: datetime,
    joins_case_id: UUID | None = None,
) -> None:
    """List the case on its district MAAG's next meeting (once, however often it arrives);
    a referral of a child whose case is open here joins that case instead."""
    found = work.find(case_id)
    case = found if isinstance(found, PanelCase) else None
    into = open_case(work, joins_case_id)
    if case is None and into is not None:
        into.absorb(case_id, meeting_at(work, into.ref, next_meeting(into.ref, at)))
        work.add(into)
        return
    if case is None:
        case = PanelCase(
            case_id=case_id,
            district=district,
            level_of_need=level_of_need,
            agencies_requested=agencies,
        )
        work.add(case)
    elif case.status == "paused":
        case.resume()  # consent given again
    elif case.status in ("closed", "joined") or case.listings:
        return  # already on an agenda (or finished): a duplicate changes nothing
    work.add(case)
    case.list_on(meeting_at(work, case.ref, next_meeting(case.ref, at)), "new referral")


def child_match_confirmed(
    work: Work, case_id: UUID, joins_case_id: UUID | None, at: datetime
) -> None:
    """A confirmed match: a referral not yet worked here joins the child's open case (a
    referral not yet accepted joins it when it is, `referral_accepted`)."""
    found = work.find(case_id)
    into = open_case(work, joins_case_id)
    if not isinstance(found, PanelCase) or into is None or not found.may_join_another():
        return
    meetings = [m for mid in found.listings if isinstance(m := work.find(mid), Meeting)]
    meeting = meeting_at(work, into.ref, next_meeting(into.ref, at))
    found.join_into(into, meetings, meeting)
    work.add(found, into, meeting, *meetings)


def open_case(work: Work, case_id: UUID | None) -> PanelCase | None:
    found = work.find(case_id) if case_id else None
    return found if isinstance(found, PanelCase) and found.status == "active" else None


def consent_withdrawn(work: Work, case_id: UUID, continues: bool) -> None:
    found = work.find(case_id)
    if not isinstance(found, PanelCase) or continues:
        return
    meetings = [m for mid in found.listings if isinstance(m := work.find(mid), Meeting)]
    found.pause("consent withdrawn", meetings)
    work.add(found, *meetings)


def package_commissioned(
    work: Work, case_id: UUID, package_id: UUID, panel: Panel, review_on: date
) -> None:
    """List the package's review on the commissioning panel's meeting when it falls due."""
    found = work.find(case_id)
    if not isinstance(found, PanelCase):
        return
    ref = found.ref_for(panel)
    meeting = meeting_at(work, ref, first_meeting_on_or_after(ref, review_on))
    found.list_review(package_id, review_on, meeting)
    work.add(found, meeting)


def commissioning_failed(
    work: Work,
    case_id: UUID,
    package_id: UUID,
    panel: Panel,
    reason: str,
    detail: str,
    at: datetime,
) -> None:
    """A package the panel agreed could not be commissioned: back on that panel's next
    agenda, with the reason, so it decides again (and its people are told, once)."""
    found = work.find(case_id)
    if not isinstance(found, PanelCase):
        return
    ref = found.ref_for(panel)
    # the panel's next meeting after the one that agreed the package (not that one again)
    agreed = found.agreed_at(package_id)
    meeting = meeting_at(work, ref, next_meeting(ref, max(at, agreed) if agreed else at))
    if found.relist_after_failure(package_id, reason, detail, meeting):
        work.add(found, meeting)


def package_reviewed(
    work: Work, case_id: UUID, package_id: UUID, change: int, next_review_on: date | None
) -> None:
    """A review's change in the level of need updates the case, so later thresholds use it;
    a package that goes on is listed for its next review, at the panel that agreed it."""
    found = work.find(case_id)
    if not isinstance(found, PanelCase):
        return
    if change:
        found.reassess(package_id, change)
        work.add(found)
    if next_review_on is not None:
        panel = Panel(found.packages.get(package_id, {}).get("panel", found.panel.value))
        ref = found.ref_for(panel)
        meeting = meeting_at(work, ref, first_meeting_on_or_after(ref, next_review_on))
        found.list_review(package_id, next_review_on, meeting)
        work.add(found, meeting)


def package_decommissioned(work: Work, case_id: UUID, package_id: UUID, reason: str) -> None:
    """A package that has ended has no more reviews."""
    found = work.find(case_id)
    if isinstance(found, PanelCase):
        found.package_ended(package_id, reason)
        work.add(found)
