"""Events the panel service publishes on `maag.panel.events`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from contracts.classification import IDENTIFYING, OPERATIONAL, THIRD_PARTY
from contracts.events.base import FundingShare, IntegrationEvent, check_split, funding_split_field
from contracts.limits import (
    EMAIL_CHARS,
    ID_CHARS,
    INTERVENTIONS,
    LABEL_CHARS,
    MEETINGS,
    TEAM,
    TEXT_CHARS,
)
from contracts.reference import Agency, AvoidedOutcome, ClosureOutcome, District, Panel
from contracts.strict import Day, Timestamp, Uuid

Reason = Field(max_length=TEXT_CHARS)
WorkEmail = Field(max_length=EMAIL_CHARS)


class PanelMeetingScheduled(IntegrationEvent):
    """Keyed by the meeting id (a meeting is not a case: `case_id` holds the meeting id)."""

    TYPE: ClassVar[str] = "maag.panel.PanelMeetingScheduled.v1"

    panel: Annotated[Panel, OPERATIONAL]
    district: Annotated[District | None, OPERATIONAL] = Field(
        default=None, description="For a district MAAG."
    )
    starts_at: Annotated[Timestamp, OPERATIONAL]


class AgendaCirculated(IntegrationEvent):
    """A meeting's agenda circulated to the panel's members before its cut-off (a day before
    the meeting); a later circulation revises the one before, after cases were listed or
    taken off. Keyed by the meeting id, as `PanelMeetingScheduled` is (`case_id` holds the
    meeting id): it names no case, only how many are listed."""

    TYPE: ClassVar[str] = "maag.panel.AgendaCirculated.v1"

    meeting_id: Annotated[Uuid, OPERATIONAL]
    panel: Annotated[Panel, OPERATIONAL]
    district: Annotated[District | None, OPERATIONAL] = Field(
        default=None, description="For a district MAAG."
    )
    starts_at: Annotated[Timestamp, OPERATIONAL]
    cases_listed: Annotated[int, OPERATIONAL] = Field(
        ge=0, le=10_000, description="How many cases the agenda lists as circulated."
    )
    circulation: Annotated[int, OPERATIONAL] = Field(
        ge=1, le=10_000, description="1 for the first circulation; each later one revises it."
    )


class CaseListed(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.CaseListed.v1"

    panel: Annotated[Panel, OPERATIONAL]
    district: Annotated[District, OPERATIONAL]
    meeting_id: Annotated[Uuid, OPERATIONAL]
    meeting_starts_at: Annotated[Timestamp, OPERATIONAL]
    reason: Annotated[str, OPERATIONAL] = Field(
        max_length=TEXT_CHARS,
        description="why: new referral, escalated, stepped down, deferred, carried over, "
        "brought forward (to a meeting called for the case) or review",
    )


class LeadProfessionalAssigned(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.LeadProfessionalAssigned.v1"

    panel: Annotated[Panel, OPERATIONAL]
    meeting_id: Annotated[Uuid, OPERATIONAL]
    professional_id: Annotated[str, THIRD_PARTY] = Field(min_length=1, max_length=ID_CHARS)
    professional_name: Annotated[str, THIRD_PARTY] = Field(min_length=1, max_length=ID_CHARS)
    agency: Annotated[Agency, OPERATIONAL]
    work_email: Annotated[EmailStr, THIRD_PARTY] = WorkEmail


class RequestedIntervention(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    service: Annotated[str, OPERATIONAL] = Field(min_length=1, max_length=LABEL_CHARS)
    preferred_provider_id: Annotated[str | None, OPERATIONAL] = Field(
        default=None, max_length=ID_CHARS
    )
    hours_per_week: Annotated[float | None, OPERATIONAL] = Field(default=None, gt=0, le=168)
    sessions_per_week: Annotated[int | None, OPERATIONAL] = Field(default=None, gt=0, le=50)
    starts_on: Annotated[Day, OPERATIONAL]
    review_interval_weeks: Annotated[int, OPERATIONAL] = Field(ge=1, le=52)
    estimated_weekly_cost_pence: Annotated[int, OPERATIONAL] = Field(ge=0, le=100_000_000)


class PackageRequested(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.PackageRequested.v1"

    package_id: Annotated[Uuid, OPERATIONAL]
    panel: Annotated[Panel, OPERATIONAL]
    district: Annotated[District, OPERATIONAL]
    meeting_id: Annotated[Uuid, OPERATIONAL]
    interventions: Annotated[list[RequestedIntervention], OPERATIONAL] = Field(
        min_length=1, max_length=INTERVENTIONS
    )
    justification: Annotated[str | None, OPERATIONAL] = Field(
        default=None, max_length=TEXT_CHARS, description="When outside the tier's threshold."
    )
    alternative_to: Annotated[list[AvoidedOutcome], OPERATIONAL] = Field(
        default_factory=list,
        max_length=len(AvoidedOutcome),
        description="EARP and JAP packages: what the package is an alternative to.",
    )
    funding_split: Annotated[list[FundingShare], OPERATIONAL] = funding_split_field()

    @model_validator(mode="after")
    def _split_sums_to_100(self) -> PackageRequested:
        check_split(self.funding_split)
        return self


class CaseEscalated(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.CaseEscalated.v1"

    from_panel: Annotated[Panel, OPERATIONAL]
    to_panel: Annotated[Panel, OPERATIONAL]
    meeting_id: Annotated[Uuid, OPERATIONAL]
    reason: Annotated[str, OPERATIONAL] = Reason


class CaseSteppedDown(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.CaseSteppedDown.v1"

    from_panel: Annotated[Panel, OPERATIONAL]
    to_panel: Annotated[Panel, OPERATIONAL]
    meeting_id: Annotated[Uuid, OPERATIONAL]
    reason: Annotated[str, OPERATIONAL] = Reason


class CaseReferredToSocialCare(IntegrationEvent):
    """The panel referred an open case to children's social care's front door: the case
    leaves every agenda and is decided no further until the front door answers (it takes
    the case on, and the case closes; or steps it down into the district's MAAG)."""

    TYPE: ClassVar[str] = "maag.panel.CaseReferredToSocialCare.v1"

    panel: Annotated[Panel, OPERATIONAL]
    meeting_id: Annotated[Uuid, OPERATIONAL]
    reason: Annotated[str, OPERATIONAL] = Reason


class CaseDeferred(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.CaseDeferred.v1"

    panel: Annotated[Panel, OPERATIONAL]
    meeting_id: Annotated[Uuid, OPERATIONAL]
    reason: Annotated[str, OPERATIONAL] = Reason


class CaseClosed(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.CaseClosed.v1"

    panel: Annotated[Panel, OPERATIONAL]
    meeting_id: Annotated[Uuid, OPERATIONAL]
    reason: Annotated[str, OPERATIONAL] = Reason
    outcomes: Annotated[list[ClosureOutcome], OPERATIONAL] = Field(
        default_factory=list,
        max_length=len(ClosureOutcome),
        description="Where the child stands at closure (absent before the panel recorded it).",
    )


class CaseJoined(IntegrationEvent):
    """A confirmed match: this referral's child has a case open at a panel, which it joins
    (listed there with it); this case leaves every agenda and is decided no further."""

    TYPE: ClassVar[str] = "maag.panel.CaseJoined.v1"

    panel: Annotated[Panel, OPERATIONAL]
    into_case_id: Annotated[Uuid, IDENTIFYING]
    removed_from_meetings: Annotated[list[Uuid], OPERATIONAL] = Field(
        default_factory=list, max_length=MEETINGS
    )


class CasePaused(IntegrationEvent):
    """Consent withdrawn: the case left every agenda; its lead professional is to be told."""

    TYPE: ClassVar[str] = "maag.panel.CasePaused.v1"

    reason: Annotated[str, OPERATIONAL] = Reason
    lead_professional_email: Annotated[EmailStr | None, THIRD_PARTY] = Field(
        default=None, max_length=EMAIL_CHARS
    )
    removed_from_meetings: Annotated[list[Uuid], OPERATIONAL] = Field(
        default_factory=list, max_length=MEETINGS
    )


class ReviewDecision(StrEnum):
    CONTINUE = "continue"
    RECOMMISSION = "recommission"
    DECOMMISSION = "decommission"


class PackageReviewDecided(IntegrationEvent):
    """The panel reviewed a package at a quorate meeting: commissioning carries out its
    decision (continue, recommission with the interventions given, or decommission)."""

    TYPE: ClassVar[str] = "maag.panel.PackageReviewDecided.v1"

    package_id: Annotated[Uuid, OPERATIONAL]
    panel: Annotated[Panel, OPERATIONAL]
    meeting_id: Annotated[Uuid, OPERATIONAL]
    goals: Annotated[str, OPERATIONAL] = Field(
        max_length=LABEL_CHARS, description="met, partly or not-met"
    )
    level_of_need_change: Annotated[int, OPERATIONAL] = Field(ge=-3, le=3)
    decision: Annotated[ReviewDecision, OPERATIONAL]
    interventions: Annotated[list[RequestedIntervention], OPERATIONAL] = Field(
        default_factory=list,
        max_length=INTERVENTIONS,
        description="For a recommission: the package from `effective_from`.",
    )
    effective_from: Annotated[Day, OPERATIONAL]
    reason: Annotated[str, OPERATIONAL] = Reason


class CommissioningFailureListed(IntegrationEvent):
    """A package the panel agreed could not be commissioned: the case is listed on the
    commissioning panel's next meeting to decide again, and the people who must know are told."""

    TYPE: ClassVar[str] = "maag.panel.CommissioningFailureListed.v1"

    package_id: Annotated[Uuid, OPERATIONAL]
    panel: Annotated[Panel, OPERATIONAL]
    district: Annotated[District | None, OPERATIONAL] = Field(
        default=None, description="For a district MAAG."
    )
    meeting_id: Annotated[Uuid, OPERATIONAL]
    meeting_starts_at: Annotated[Timestamp, OPERATIONAL]
    reason: Annotated[str, OPERATIONAL] = Field(
        max_length=LABEL_CHARS,
        description="no-capacity, over-budget, no-budget or no-funding-split",
    )
    detail: Annotated[str, OPERATIONAL] = Field(max_length=TEXT_CHARS)
    lead_professional_email: Annotated[EmailStr | None, THIRD_PARTY] = Field(
        default=None, max_length=EMAIL_CHARS
    )


class ReviewListed(IntegrationEvent):
    """A commissioned package falls due for review at the listed meeting."""

    TYPE: ClassVar[str] = "maag.panel.ReviewListed.v1"

    package_id: Annotated[Uuid, OPERATIONAL]
    panel: Annotated[Panel, OPERATIONAL]
    meeting_id: Annotated[Uuid, OPERATIONAL]
    meeting_starts_at: Annotated[Timestamp, OPERATIONAL]
    review_on: Annotated[Day, OPERATIONAL]
    lead_professional_email: Annotated[EmailStr | None, THIRD_PARTY] = Field(
        default=None, max_length=EMAIL_CHARS
    )


class PlanAgreed(IntegrationEvent):
    """The lead professional agreed the case's integrated plan with the family and the Team
    Around the Child. What the plan says (needs, goals, actions) stays in the panel service:
    it is written about a child and may name people."""

    TYPE: ClassVar[str] = "maag.panel.PlanAgreed.v1"

    agreed_on: Annotated[Day, OPERATIONAL]
    review_on: Annotated[Day, OPERATIONAL]
    goals: Annotated[int, OPERATIONAL] = Field(ge=1, le=TEAM)
    actions: Annotated[int, OPERATIONAL] = Field(ge=1, le=10 * TEAM)
    team_organisations: Annotated[list[Annotated[str, Field(max_length=ID_CHARS)]], OPERATIONAL] = (
        Field(default_factory=list, max_length=TEAM, description="Organisations in the team.")
    )


class PlanReviewed(IntegrationEvent):
    """The lead professional reviewed the plan: how many of its goals were met, partly met or
    not met. The panel's next review of the package takes it up."""

    TYPE: ClassVar[str] = "maag.panel.PlanReviewed.v1"

    review_number: Annotated[int, OPERATIONAL] = Field(ge=1, le=1000)
    reviewed_on: Annotated[Day, OPERATIONAL]
    goals_met: Annotated[int, OPERATIONAL] = Field(ge=0, le=TEAM)
    goals_partly: Annotated[int, OPERATIONAL] = Field(ge=0, le=TEAM)
    goals_not_met: Annotated[int, OPERATIONAL] = Field(ge=0, le=TEAM)
    overall: Annotated[str, OPERATIONAL] = Field(
        max_length=LABEL_CHARS, description="met, partly or not-met"
    )
