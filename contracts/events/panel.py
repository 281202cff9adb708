"""Events the panel service publishes on `maag.panel.events`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

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
from contracts.reference import Agency, AvoidedOutcome, District, Panel
from contracts.strict import Day, Timestamp, Uuid

Reason = Field(max_length=TEXT_CHARS)
WorkEmail = Field(max_length=EMAIL_CHARS)


class PanelMeetingScheduled(IntegrationEvent):
    """Keyed by the meeting id (a meeting is not a case: `case_id` holds the meeting id)."""

    TYPE: ClassVar[str] = "maag.panel.PanelMeetingScheduled.v1"

    panel: Panel
    district: District | None = Field(default=None, description="For a district MAAG.")
    starts_at: Timestamp


class CaseListed(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.CaseListed.v1"

    panel: Panel
    district: District
    meeting_id: Uuid
    meeting_starts_at: Timestamp
    reason: str = Field(
        max_length=TEXT_CHARS,
        description="new referral, escalated, stepped down, deferred or review",
    )


class LeadProfessionalAssigned(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.LeadProfessionalAssigned.v1"

    panel: Panel
    meeting_id: Uuid
    professional_id: str = Field(min_length=1, max_length=ID_CHARS)
    professional_name: str = Field(min_length=1, max_length=ID_CHARS)
    agency: Agency
    work_email: EmailStr = WorkEmail


class RequestedIntervention(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    service: str = Field(min_length=1, max_length=LABEL_CHARS)
    preferred_provider_id: str | None = Field(default=None, max_length=ID_CHARS)
    hours_per_week: float | None = Field(default=None, gt=0, le=168)
    sessions_per_week: int | None = Field(default=None, gt=0, le=50)
    starts_on: Day
    review_interval_weeks: int = Field(ge=1, le=52)
    estimated_weekly_cost_pence: int = Field(ge=0, le=100_000_000)


class PackageRequested(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.PackageRequested.v1"

    package_id: Uuid
    panel: Panel
    district: District
    meeting_id: Uuid
    interventions: list[RequestedIntervention] = Field(min_length=1, max_length=INTERVENTIONS)
    justification: str | None = Field(
        default=None, max_length=TEXT_CHARS, description="When outside the tier's threshold."
    )
    alternative_to: list[AvoidedOutcome] = Field(
        default_factory=list,
        max_length=len(AvoidedOutcome),
        description="EARP and JAP packages: what the package is an alternative to.",
    )
    funding_split: list[FundingShare] = funding_split_field()

    @model_validator(mode="after")
    def _split_sums_to_100(self) -> PackageRequested:
        check_split(self.funding_split)
        return self


class CaseEscalated(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.CaseEscalated.v1"

    from_panel: Panel
    to_panel: Panel
    meeting_id: Uuid
    reason: str = Reason


class CaseSteppedDown(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.CaseSteppedDown.v1"

    from_panel: Panel
    to_panel: Panel
    meeting_id: Uuid
    reason: str = Reason


class CaseDeferred(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.CaseDeferred.v1"

    panel: Panel
    meeting_id: Uuid
    reason: str = Reason


class CaseClosed(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.CaseClosed.v1"

    panel: Panel
    meeting_id: Uuid
    reason: str = Reason


class CaseJoined(IntegrationEvent):
    """A confirmed match: this referral's child has a case open at a panel, which it joins
    (listed there with it); this case leaves every agenda and is decided no further."""

    TYPE: ClassVar[str] = "maag.panel.CaseJoined.v1"

    panel: Panel
    into_case_id: Uuid
    removed_from_meetings: list[Uuid] = Field(default_factory=list, max_length=MEETINGS)


class CasePaused(IntegrationEvent):
    """Consent withdrawn: the case left every agenda; its lead professional is to be told."""

    TYPE: ClassVar[str] = "maag.panel.CasePaused.v1"

    reason: str = Reason
    lead_professional_email: EmailStr | None = Field(default=None, max_length=EMAIL_CHARS)
    removed_from_meetings: list[Uuid] = Field(default_factory=list, max_length=MEETINGS)


class ReviewDecision(StrEnum):
    CONTINUE = "continue"
    RECOMMISSION = "recommission"
    DECOMMISSION = "decommission"


class PackageReviewDecided(IntegrationEvent):
    """The panel reviewed a package at a quorate meeting: commissioning carries out its
    decision (continue, recommission with the interventions given, or decommission)."""

    TYPE: ClassVar[str] = "maag.panel.PackageReviewDecided.v1"

    package_id: Uuid
    panel: Panel
    meeting_id: Uuid
    goals: str = Field(max_length=LABEL_CHARS, description="met, partly or not-met")
    level_of_need_change: int = Field(ge=-3, le=3)
    decision: ReviewDecision
    interventions: list[RequestedIntervention] = Field(
        default_factory=list,
        max_length=INTERVENTIONS,
        description="For a recommission: the package from `effective_from`.",
    )
    effective_from: Day
    reason: str = Reason


class CommissioningFailureListed(IntegrationEvent):
    """A package the panel agreed could not be commissioned: the case is listed on the
    commissioning panel's next meeting to decide again, and the people who must know are told."""

    TYPE: ClassVar[str] = "maag.panel.CommissioningFailureListed.v1"

    package_id: Uuid
    panel: Panel
    district: District | None = Field(default=None, description="For a district MAAG.")
    meeting_id: Uuid
    meeting_starts_at: Timestamp
    reason: str = Field(
        max_length=LABEL_CHARS,
        description="no-capacity, over-budget, no-budget or no-funding-split",
    )
    detail: str = Field(max_length=TEXT_CHARS)
    lead_professional_email: EmailStr | None = Field(default=None, max_length=EMAIL_CHARS)


class ReviewListed(IntegrationEvent):
    """A commissioned package falls due for review at the listed meeting."""

    TYPE: ClassVar[str] = "maag.panel.ReviewListed.v1"

    package_id: Uuid
    panel: Panel
    meeting_id: Uuid
    meeting_starts_at: Timestamp
    review_on: Day
    lead_professional_email: EmailStr | None = Field(default=None, max_length=EMAIL_CHARS)


class PlanAgreed(IntegrationEvent):
    """The lead professional agreed the case's integrated plan with the family and the Team
    Around the Child. What the plan says (needs, goals, actions) stays in the panel service:
    it is written about a child and may name people."""

    TYPE: ClassVar[str] = "maag.panel.PlanAgreed.v1"

    agreed_on: Day
    review_on: Day
    goals: int = Field(ge=1, le=TEAM)
    actions: int = Field(ge=1, le=10 * TEAM)
    team_organisations: list[Annotated[str, Field(max_length=ID_CHARS)]] = Field(
        default_factory=list, max_length=TEAM, description="Organisations in the team."
    )


class PlanReviewed(IntegrationEvent):
    """The lead professional reviewed the plan: how many of its goals were met, partly met or
    not met. The panel's next review of the package takes it up."""

    TYPE: ClassVar[str] = "maag.panel.PlanReviewed.v1"

    review_number: int = Field(ge=1, le=1000)
    reviewed_on: Day
    goals_met: int = Field(ge=0, le=TEAM)
    goals_partly: int = Field(ge=0, le=TEAM)
    goals_not_met: int = Field(ge=0, le=TEAM)
    overall: str = Field(max_length=LABEL_CHARS, description="met, partly or not-met")
