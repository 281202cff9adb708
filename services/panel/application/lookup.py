"""Finding what a use case works on: a case held here (open or not), a panel's meeting
(scheduled the first time anyone needs it), a case's plan."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from maag.runtime.store.unit_of_work import Work
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.plan import Plan, plan_id_for
from services.panel.domain.schedule import (
    PanelRef,
    agenda_open_at,
    first_meeting_on_or_after,
    meeting_id,
    next_meeting,
)


def find_case(work: Work, case_id: UUID | None) -> PanelCase | None:
    found = work.find(case_id) if case_id else None
    return found if isinstance(found, PanelCase) else None


def open_case(work: Work, case_id: UUID | None) -> PanelCase | None:
    found = find_case(work, case_id)
    return found if found is not None and found.is_open else None


def meeting_at(work: Work, ref: PanelRef, starts_at: datetime) -> Meeting:
    """The meeting of `ref` at `starts_at`, scheduling it if nobody has yet."""
    found = work.find(meeting_id(ref, starts_at))
    if isinstance(found, Meeting):
        return found
    meeting = Meeting.schedule(ref, starts_at)
    work.add(meeting)
    return meeting


def next_meeting_of(work: Work, ref: PanelRef, after: datetime) -> Meeting:
    """The panel's first meeting after `after`."""
    return meeting_at(work, ref, next_meeting(ref, after))


def carry_reviews(work: Work, case: PanelCase, moved_at: Meeting, not_before: datetime) -> None:
    """Reviews follow the case: each of its packages' reviews listed at a tier that no
    longer holds it (the meeting that moved it among them) moves to the holding tier's
    first meeting on or after the review falls due (and not before `not_before`, the move's
    own listing there)."""
    ref = case.ref_for(case.panel)
    for package_id, review_on, listed_on in case.reviews_elsewhere(moved_at.id):
        listed = work.find(listed_on)
        if not isinstance(listed, Meeting):
            continue
        to = meeting_at(work, ref, max(first_meeting_on_or_after(ref, review_on), not_before))
        case.carry_review(package_id, listed, to)
        work.add(listed, to)


def relist_reviews(work: Work, case: PanelCase, not_before: datetime) -> None:
    """Each of the case's reviews still to come that no agenda holds (taken off when it went
    to children's social care) listed again at the holding tier's first meeting on or after
    it falls due, and not before `not_before` (the case's own listing there)."""
    ref = case.ref_for(case.panel)
    for package_id, review_on in case.reviews_off_agenda():
        to = meeting_at(work, ref, max(first_meeting_on_or_after(ref, review_on), not_before))
        case.relist_review(package_id, to)
        work.add(to)


def review_meeting_of(work: Work, ref: PanelRef, review_on: date, at: datetime) -> Meeting:
    """Where a review falling due on `review_on` is listed, as `at`: the panel's first
    meeting on or after that day whose agenda is still open (a review already due, or due
    before the agenda closes, goes to the next meeting that can still take it, never to one
    that has passed)."""
    return meeting_at(
        work, ref, max(first_meeting_on_or_after(ref, review_on), agenda_open_at(ref, at))
    )


def agenda_open_of(work: Work, ref: PanelRef, at: datetime) -> Meeting:
    """The panel's first meeting whose agenda is still open at `at` (`AGENDA_CUT_OFF`)."""
    return meeting_at(work, ref, agenda_open_at(ref, at))


def meetings_listing(work: Work, case: PanelCase) -> list[Meeting]:
    """Every meeting the case is listed on."""
    return [m for mid in case.listings if isinstance(m := work.find(mid), Meeting)]


def find_plan(work: Work, case_id: UUID) -> Plan | None:
    found = work.find(plan_id_for(case_id))
    return found if isinstance(found, Plan) else None
