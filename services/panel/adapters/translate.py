"""What the panel service publishes for each of its domain events (the outbox translator): a
table from each published event class to its translator; the others stay inside."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypedDict
from uuid import UUID

from eventsourcing.domain import Aggregate

from contracts.events import Actor, IntegrationEvent
from contracts.events.base import FundingSplit
from contracts.events.panel import (
    AgendaCirculated,
    CaseClosed,
    CaseDeferred,
    CaseEscalated,
    CaseJoined,
    CaseListed,
    CasePaused,
    CaseReferredToSocialCare,
    CaseSteppedDown,
    CommissioningFailureListed,
    LeadProfessionalAssigned,
    PackageRequested,
    PackageReviewDecided,
    PanelMeetingScheduled,
    PlanAgreed,
    PlanReviewed,
    RequestedIntervention,
    ReviewDecision,
    ReviewListed,
)
from contracts.reference import Agency, AvoidedOutcome, ClosureOutcome, District, Panel, Role
from maag.runtime import causation
from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.outbox import Outbound, published_actor
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.minutes import ItemMinutes
from services.panel.domain.plan import Plan

SYSTEM = Actor(user_id="panel-service", role=Role.SYSTEM, agency="maag")


class About(TypedDict):
    """What every published event says: the case, when, and who."""

    case_id: UUID
    occurred_at: datetime
    actor: Actor


def _about(e: Aggregate.Event, case_id: UUID | None = None) -> About:
    return {
        "case_id": case_id or e.originator_id,
        "occurred_at": e.timestamp,
        "actor": published_actor(e, SYSTEM),
    }


# A case event's `panel` is the tier that held the case when it happened (so, for a move,
# the tier it left).


def _listed(e: PanelCase.Listed) -> CaseListed:
    return CaseListed(
        **_about(e),
        panel=Panel(e.panel),
        district=District(e.district),
        meeting_id=e.meeting_id,
        meeting_starts_at=datetime.fromisoformat(e.starts_at),
        reason=e.reason,
    )


def _lead_assigned(e: PanelCase.LeadProfessionalAssigned) -> LeadProfessionalAssigned:
    return LeadProfessionalAssigned(
        **_about(e),
        panel=Panel(e.panel),
        meeting_id=e.meeting_id,
        professional_id=e.professional_id,
        professional_name=e.professional_name,
        agency=Agency(e.agency),
        work_email=e.work_email,
    )


def _package_requested(e: PanelCase.PackageRequested) -> PackageRequested:
    return PackageRequested(
        **_about(e),
        package_id=e.package_id,
        panel=Panel(e.panel),
        district=District(e.district),
        meeting_id=e.meeting_id,
        interventions=[RequestedIntervention.model_validate(i) for i in e.interventions],
        justification=e.justification,
        alternative_to=[AvoidedOutcome(a) for a in e.alternative_to],
        funding_split=list(FundingSplit.of(e.funding_split)),
    )


def _escalated(e: PanelCase.Escalated) -> CaseEscalated:
    return CaseEscalated(
        **_about(e),
        from_panel=Panel(e.panel),
        to_panel=Panel(e.to_panel),
        meeting_id=e.meeting_id,
        reason=e.reason,
    )


def _stepped_down(e: PanelCase.SteppedDown) -> CaseSteppedDown:
    return CaseSteppedDown(
        **_about(e),
        from_panel=Panel(e.panel),
        to_panel=Panel(e.to_panel),
        meeting_id=e.meeting_id,
        reason=e.reason,
    )


def _social_care_stepped_down(e: PanelCase.SocialCareSteppedDown) -> CaseSteppedDown | None:
    # a move between tiers, heard as any step-down; back at the MAAG that held it, the
    # case's new listing (`Listed`) says it all
    if e.panel == e.to_panel:
        return None
    return CaseSteppedDown(
        **_about(e),
        from_panel=Panel(e.panel),
        to_panel=Panel(e.to_panel),
        meeting_id=e.meeting_id,
        reason=e.reason,
    )


def _referred_to_social_care(e: PanelCase.ReferredToSocialCare) -> CaseReferredToSocialCare:
    return CaseReferredToSocialCare(
        **_about(e), panel=Panel(e.panel), meeting_id=e.meeting_id, reason=e.reason
    )


def _deferred(e: PanelCase.Deferred) -> CaseDeferred:
    return CaseDeferred(**_about(e), panel=Panel(e.panel), meeting_id=e.meeting_id, reason=e.reason)


def _closed(e: PanelCase.Closed) -> CaseClosed:
    return CaseClosed(
        **_about(e),
        panel=Panel(e.panel),
        meeting_id=e.meeting_id,
        reason=e.reason,
        outcomes=[ClosureOutcome(o) for o in e.outcomes],
    )


def _paused(e: PanelCase.Paused) -> CasePaused:
    return CasePaused(
        **_about(e),
        reason=e.reason,
        removed_from_meetings=e.removed_from,
        lead_professional_email=e.lead_email,
    )


def _joined(e: PanelCase.JoinedInto) -> CaseJoined:
    # published as it is stored, long before any erasure (which would make this None and
    # the outbox stop on it, loudly, rather than publish a join to nowhere)
    assert e.into_case_id is not None, "the case this one joined was erased before relay"
    return CaseJoined(
        **_about(e),
        panel=Panel(e.panel),
        into_case_id=e.into_case_id,
        removed_from_meetings=e.removed_from,
    )


def _review_decided(e: PanelCase.ReviewDecided) -> PackageReviewDecided:
    return PackageReviewDecided(
        **_about(e),
        package_id=e.package_id,
        panel=Panel(e.panel),
        meeting_id=e.meeting_id,
        goals=e.goals,
        level_of_need_change=e.level_of_need_change,
        decision=ReviewDecision(e.decision),
        interventions=[RequestedIntervention.model_validate(i) for i in e.interventions],
        effective_from=date.fromisoformat(e.effective_from),
        reason=e.reason,
    )


def _failure_listed(e: PanelCase.CommissioningFailureListed) -> CommissioningFailureListed:
    panel = Panel(e.panel)
    return CommissioningFailureListed(
        **_about(e),
        package_id=e.package_id,
        panel=panel,
        district=District(e.district) if panel is Panel.MAAG else None,
        meeting_id=e.meeting_id,
        meeting_starts_at=datetime.fromisoformat(e.starts_at),
        reason=e.reason,
        detail=e.detail,
        lead_professional_email=e.lead_email,
    )


def _review_listed(e: PanelCase.ReviewListed) -> ReviewListed:
    return ReviewListed(
        **_about(e),
        package_id=e.package_id,
        panel=Panel(e.panel),
        meeting_id=e.meeting_id,
        meeting_starts_at=datetime.fromisoformat(e.starts_at),
        review_on=date.fromisoformat(e.review_on),
        lead_professional_email=e.lead_email,
    )


def _plan_agreed(e: Plan.Agreed) -> PlanAgreed:
    return PlanAgreed(
        **_about(e, e.case_id),  # the plan's events are published about its case
        agreed_on=date.fromisoformat(e.agreed_on),
        review_on=date.fromisoformat(e.review_on),
        goals=e.goals,
        actions=e.actions,
        team_organisations=e.organisations,
    )


def _plan_reviewed(e: Plan.Reviewed) -> PlanReviewed:
    counted = Counter(e.outcomes.values())
    return PlanReviewed(
        **_about(e, e.case_id),
        review_number=e.review_number,
        reviewed_on=date.fromisoformat(e.reviewed_on),
        goals_met=counted["met"],
        goals_partly=counted["partly"],
        goals_not_met=counted["not-met"],
        overall=e.overall,
    )


def _scheduled(e: Meeting.Scheduled) -> PanelMeetingScheduled:
    return PanelMeetingScheduled(
        **_about(e),
        panel=Panel(e.panel),
        district=District(e.district) if e.district else None,
        starts_at=datetime.fromisoformat(e.starts_at),
    )


def _circulated(e: Meeting.AgendaCirculated) -> AgendaCirculated:
    # how many cases, never which: the agenda itself is read on the meeting's page
    return AgendaCirculated(
        **_about(e),
        meeting_id=e.originator_id,
        panel=Panel(e.panel),
        district=District(e.district) if e.district else None,
        starts_at=datetime.fromisoformat(e.starts_at),
        cases_listed=e.cases,
        circulation=e.number,
    )


# Each takes the event class it is listed for; None where this one event is nobody else's.
Translator = Callable[[Any], IntegrationEvent | None]
# Each published event class and what it publishes.
TRANSLATORS: dict[type[Aggregate.Event], Translator] = {
    Meeting.Scheduled: _scheduled,
    Meeting.AgendaCirculated: _circulated,
    PanelCase.Listed: _listed,
    PanelCase.LeadProfessionalAssigned: _lead_assigned,
    PanelCase.PackageRequested: _package_requested,
    PanelCase.Escalated: _escalated,
    PanelCase.SteppedDown: _stepped_down,
    PanelCase.Deferred: _deferred,
    PanelCase.Closed: _closed,
    PanelCase.Paused: _paused,
    PanelCase.ReviewListed: _review_listed,
    PanelCase.CommissioningFailureListed: _failure_listed,
    PanelCase.ReviewDecided: _review_decided,
    PanelCase.JoinedInto: _joined,
    PanelCase.ReferredToSocialCare: _referred_to_social_care,
    PanelCase.SocialCareSteppedDown: _social_care_stepped_down,
    Plan.Agreed: _plan_agreed,
    Plan.Reviewed: _plan_reviewed,
}
# Attendance names professionals and the agenda lives in the read model: kept in the service.
INTERNAL = (
    Meeting.AttendanceRecorded,
    Meeting.AttendeeExpected,
    Meeting.CaseListed,
    Meeting.CaseRemoved,
    # The panel's governance (apologies, minutes, declarations of interest) names
    # professionals, and an item's minutes are written about a child: kept in the service.
    Meeting.ApologiesSent,
    Meeting.MinutesRecorded,
    PanelCase.InterestDeclared,
    ItemMinutes.Started,
    ItemMinutes.Recorded,
    PanelCase.Opened,
    PanelCase.Resumed,
    PanelCase.ReferralJoined,  # published as the case's listing, which names the referral
    PanelCase.NeedReassessed,  # the review itself is commissioning's published event
    PanelCase.ReviewMoved,  # published as the review's new listing (ReviewListed)
    PanelCase.CarriedOver,  # published as the case's new listing (Listed)
    PanelCase.BroughtForward,  # published as the case's new listing (Listed)
    PanelCase.ReviewKept,  # published when the review is listed (ReviewListed)
    PanelCase.PackageEnded,  # commissioning published the decommission
    # What the plan says stays here (it is written about a child, and names people); that
    # it was agreed, and how its reviews went, is published.
    Plan.Started,
    Plan.MemberAdded,
    Plan.FamilyMeetingHeld,
    Plan.NeedRecorded,
    Plan.GoalSet,
    Plan.ActionAgreed,
    Plan.ProgressRecorded,
)
CLASSES = EventClasses(published=tuple(TRANSLATORS), internal=INTERNAL)
# A meeting is nobody's request: what it publishes is correlated by the meeting itself.
CORRELATED_BY_ORIGINATOR = frozenset({Meeting.Scheduled})


def translate(e: Aggregate.Event) -> Outbound | None:
    translator = TRANSLATORS.get(type(e))
    published = translator(e) if translator is not None else None
    if published is None:
        return None
    if type(e) in CORRELATED_BY_ORIGINATOR:
        return Outbound(published, correlation_id=str(e.originator_id))
    return Outbound(published, correlation_id=causation.correlation_of(e))
