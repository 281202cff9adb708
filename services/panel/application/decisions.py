"""The decisions a panel records on a listed case (the HTTP body of POST .../decisions)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from contracts.events.base import FundingShare
from contracts.events.panel import RequestedIntervention, ReviewDecision
from contracts.limits import EMAIL_CHARS, ID_CHARS, INTERVENTIONS, TEXT_CHARS
from contracts.reference import JAP_FUNDERS, Agency, AvoidedOutcome, Panel


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: UUID
    justification: str | None = Field(
        default=None,
        max_length=TEXT_CHARS,
        description="Required when the case's level of need is outside the tier's threshold.",
    )


class AssignLeadProfessional(_Decision):
    kind: Literal["assign-lead-professional"]
    professional_id: str = Field(min_length=1, max_length=ID_CHARS)
    name: str = Field(min_length=1, max_length=ID_CHARS)
    agency: Agency
    work_email: EmailStr = Field(max_length=EMAIL_CHARS)


class Share(FundingShare):
    """One funder's share of a JAP package, as published in PackageRequested."""

    model_config = ConfigDict(extra="forbid")

    percent: int = Field(ge=1, le=100)


class Intervention(RequestedIntervention):
    """As published in PackageRequested; a request must not carry unknown fields."""

    model_config = ConfigDict(extra="forbid")


class RequestPackage(_Decision):
    kind: Literal["request-package"]
    interventions: list[Intervention] = Field(min_length=1, max_length=INTERVENTIONS)
    alternative_to: list[AvoidedOutcome] = Field(
        default_factory=list,
        max_length=len(AvoidedOutcome),
        description="EARP and JAP (required): what the package is an alternative to.",
    )
    funding_split: list[Share] = Field(
        default_factory=list,
        max_length=len(JAP_FUNDERS),
        description=f"JAP (required): each funder's share, summing to 100 ({', '.join(JAP_FUNDERS)}).",
    )

    @model_validator(mode="after")
    def _each_once(self) -> RequestPackage:
        if len(set(self.alternative_to)) != len(self.alternative_to):
            raise ValueError("alternative_to: each outcome appears once")
        return self


class ReviewPackage(_Decision):
    """The panel's review of a package listed for review: commissioning carries it out."""

    kind: Literal["review-package"]
    package_id: UUID
    goals: Literal["met", "partly", "not-met"] | None = Field(
        default=None,
        description="The goals' outcome; when left out, the lead professional's latest "
        "review of the case's plan, its goals taken together.",
    )
    level_of_need_change: int = Field(ge=-3, le=3)
    decision: ReviewDecision
    interventions: list[Intervention] = Field(
        default_factory=list,
        max_length=INTERVENTIONS,
        description="Required for a recommission (the package from effective_from); else none.",
    )
    effective_from: date | None = Field(
        default=None,
        description="When a recommission or decommission takes effect (default: the meeting's day).",
    )
    reason: str = Field(min_length=1, max_length=TEXT_CHARS)

    @model_validator(mode="after")
    def _interventions_for_a_recommission(self) -> ReviewPackage:
        if (self.decision is ReviewDecision.RECOMMISSION) != bool(self.interventions):
            raise ValueError(
                "interventions: required for a recommission, and only for a recommission"
            )
        return self


class Escalate(_Decision):
    kind: Literal["escalate"]
    to: Literal[Panel.EARP, Panel.JAP]
    reason: str = Field(min_length=1, max_length=TEXT_CHARS)


class StepDown(_Decision):
    kind: Literal["step-down"]
    to: Literal[Panel.MAAG, Panel.EARP]
    reason: str = Field(min_length=1, max_length=TEXT_CHARS)


class Defer(_Decision):
    kind: Literal["defer"]
    reason: str = Field(min_length=1, max_length=TEXT_CHARS)


class Close(_Decision):
    kind: Literal["close"]
    reason: str = Field(min_length=1, max_length=TEXT_CHARS)


Decision = Annotated[
    AssignLeadProfessional | RequestPackage | ReviewPackage | Escalate | StepDown | Defer | Close,
    Field(discriminator="kind"),
]
