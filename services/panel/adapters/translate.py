"""What the panel service publishes for each of its domain events (the outbox translator)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from contracts.events import Actor, IntegrationEvent
from contracts.events.base import FundingShare
from contracts.events.panel import (
    CaseClosed,
    CaseDeferred,
    CaseEscalated,
    CaseJoined,
    CaseListed,
    CasePaused,
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
from contracts.reference import Agency, AvoidedOutcome, District, Panel, Role
from maag.runtime import causation
from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.outbox import Outbound, published_actor
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.plan import Plan

SYSTEM = Actor(user_id="panel-service", role=Role.SYSTEM, agency="maag")
# Attendance names professionals and the agenda lives in the read model: kept in the service.
INTERNAL = (
    Meeting.AttendanceRecorded,
    Meeting.AttendeeExpected,
    Meeting.CaseListed,
    Meeting.CaseRemoved,
    PanelCase.Opened,
    PanelCase.Resumed,
    PanelCase.ReferralJoined,  # published as the case's listing, which names the referral
    PanelCase.NeedReassessed,  # the review itself is commissioning's published event
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
PUBLISHED = (
    Meeting.Scheduled,
    PanelCase.Listed,
    PanelCase.LeadProfessionalAssigned,
    PanelCase.PackageRequested,
    PanelCase.Escalated,
    PanelCase.SteppedDown,
    PanelCase.Deferred,
    PanelCase.Closed,
    PanelCase.Paused,
    PanelCase.ReviewListed,
    PanelCase.CommissioningFailureListed,
    PanelCase.ReviewDecided,
    PanelCase.JoinedInto,
    Plan.Agreed,
    Plan.Reviewed,
)
CLASSES = EventClasses(published=PUBLISHED, internal=INTERNAL)


def translate(e: Any) -> Outbound | None:
    base: dict[str, Any] = {
        "case_id": e.originator_id,
        "occurred_at": e.timestamp,
        "actor": published_actor(e, SYSTEM),
    }
    event: IntegrationEvent
    if isinstance(e, Plan.Agreed | Plan.Reviewed):
        return Outbound(
            _plan(e, {**base, "case_id": e.case_id}), correlation_id=causation.correlation_of(e)
        )
    if isinstance(e, Meeting.Scheduled):
        event = PanelMeetingScheduled(
            **base,
            panel=Panel(e.panel),
            district=District(e.district) if e.district else None,
            starts_at=datetime.fromisoformat(e.starts_at),
        )
        return Outbound(event, correlation_id=str(e.originator_id))
    state = _case_state(e)
    if isinstance(e, PanelCase.Listed):
        event = CaseListed(
            **base,
            panel=Panel(e.panel),
            district=state["district"],
            meeting_id=e.meeting_id,
            meeting_starts_at=datetime.fromisoformat(e.starts_at),
            reason=e.reason,
        )
    elif isinstance(e, PanelCase.LeadProfessionalAssigned):
        event = LeadProfessionalAssigned(
            **base,
            panel=state["panel"],
            meeting_id=e.meeting_id,
            professional_id=e.professional_id,
            professional_name=e.professional_name,
            agency=Agency(e.agency),
            work_email=e.work_email,
        )
    elif isinstance(e, PanelCase.PackageRequested):
        event = PackageRequested(
            **base,
            package_id=e.package_id,
            panel=state["panel"],
            district=state["district"],
            meeting_id=e.meeting_id,
            interventions=[RequestedIntervention.model_validate(i) for i in e.interventions],
            justification=e.justification,
            alternative_to=[AvoidedOutcome(a) for a in e.alternative_to],
            funding_split=[FundingShare(agency=a, percent=p) for a, p in e.funding_split],
        )
    elif isinstance(e, PanelCase.Escalated):
        event = CaseEscalated(
            **base,
            from_panel=state["from"],
            to_panel=Panel(e.to_panel),
            meeting_id=e.meeting_id,
            reason=e.reason,
        )
    elif isinstance(e, PanelCase.SteppedDown):
        event = CaseSteppedDown(
            **base,
            from_panel=state["from"],
            to_panel=Panel(e.to_panel),
            meeting_id=e.meeting_id,
            reason=e.reason,
        )
    elif isinstance(e, PanelCase.Deferred):
        event = CaseDeferred(**base, panel=state["panel"], meeting_id=e.meeting_id, reason=e.reason)
    elif isinstance(e, PanelCase.Closed):
        event = CaseClosed(**base, panel=state["panel"], meeting_id=e.meeting_id, reason=e.reason)
    elif isinstance(e, PanelCase.Paused):
        event = CasePaused(
            **base,
            reason=e.reason,
            removed_from_meetings=e.removed_from,
            lead_professional_email=e.lead_email,
        )
    elif isinstance(e, PanelCase.JoinedInto):
        event = CaseJoined(
            **base,
            panel=state["panel"],
            into_case_id=e.into_case_id,
            removed_from_meetings=e.removed_from,
        )
    elif isinstance(e, PanelCase.ReviewDecided):
        event = PackageReviewDecided(
            **base,
            package_id=e.package_id,
            panel=Panel(e.panel),
            meeting_id=e.meeting_id,
            goals=e.goals,
            level_of_need_change=e.level_of_need_change,
            decision=ReviewDecision(e.decision),
            interventions=[RequestedIntervention(**i) for i in e.interventions],
            effective_from=date.fromisoformat(e.effective_from),
            reason=e.reason,
        )
    elif isinstance(e, PanelCase.CommissioningFailureListed):
        panel = Panel(e.panel)
        event = CommissioningFailureListed(
            **base,
            package_id=e.package_id,
            panel=panel,
            district=District(e.district) if panel is Panel.MAAG else None,
            meeting_id=e.meeting_id,
            meeting_starts_at=datetime.fromisoformat(e.starts_at),
            reason=e.reason,
            detail=e.detail,
            lead_professional_email=e.lead_email,
        )
    else:
        event = ReviewListed(
            **base,
            package_id=e.package_id,
            panel=Panel(e.panel),
            meeting_id=e.meeting_id,
            meeting_starts_at=datetime.fromisoformat(e.starts_at),
            review_on=date.fromisoformat(e.review_on),
            lead_professional_email=e.lead_email,
        )
    return Outbound(event, correlation_id=causation.correlation_of(e))


def _plan(e: Any, base: dict[str, Any]) -> IntegrationEvent:
    if isinstance(e, Plan.Agreed):
        return PlanAgreed(
            **base,
            agreed_on=date.fromisoformat(e.agreed_on),
            review_on=date.fromisoformat(e.review_on),
            goals=e.goals,
            actions=e.actions,
            team_organisations=e.organisations,
        )
    counted = Counter(e.outcomes.values())
    return PlanReviewed(
        **base,
        review_number=e.review_number,
        reviewed_on=date.fromisoformat(e.reviewed_on),
        goals_met=counted["met"],
        goals_partly=counted["partly"],
        goals_not_met=counted["not-met"],
        overall=e.overall,
    )


def _case_state(e: Any) -> dict[str, Any]:
    """Facts the integration events repeat, carried on the domain event itself."""
    # `panel` is the tier that held the case when the event happened (so, for a move, "from").
    panel = Panel(e.panel)
    return {"district": District(e.district), "panel": panel, "from": panel}
