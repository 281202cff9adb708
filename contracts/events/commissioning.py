"""Events the commissioning service publishes on `maag.commissioning.events`.

Money is in whole pence (integers), so sums are exact in every language.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.events.base import IntegrationEvent
from contracts.reference import Panel


class CommissionedIntervention(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    service: str = Field(min_length=1, max_length=200)
    provider_id: str = Field(min_length=1, max_length=200)
    hours_per_week: float | None = Field(default=None, gt=0)
    sessions_per_week: int | None = Field(default=None, gt=0)
    weekly_cost_pence: int = Field(ge=0)


class FundingShare(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    agency: str = Field(min_length=1, max_length=200)
    percent: int = Field(ge=0, le=100)


class PackageCommissioned(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.commissioning.PackageCommissioned.v1"

    package_id: UUID
    panel: Panel
    interventions: list[CommissionedIntervention] = Field(min_length=1)
    weekly_cost_pence: int = Field(ge=0)
    starts_on: date
    review_on: date
    funding_split: list[FundingShare] = Field(
        default_factory=list, description="JAP packages: shares summing to 100."
    )

    @model_validator(mode="after")
    def _split_sums_to_100(self) -> PackageCommissioned:
        if self.funding_split and sum(s.percent for s in self.funding_split) != 100:
            raise ValueError("funding_split percentages must sum to 100")
        return self


class DecommissionReason(StrEnum):
    OUTCOMES_MET = "outcomes-met"
    NOT_EFFECTIVE = "not-effective"
    CONSENT_WITHDRAWN = "consent-withdrawn"
    CASE_CLOSED = "case-closed"
    ESCALATED = "escalated"


class PackageDecommissioned(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.commissioning.PackageDecommissioned.v1"

    package_id: UUID
    reason: DecommissionReason
    effective_from: date
    provider_ids: list[str] = Field(default_factory=list, description="Providers to tell.")


class CommissioningFailed(IntegrationEvent):
    """A requested package could not be commissioned; the panel can decide again."""

    TYPE: ClassVar[str] = "maag.commissioning.CommissioningFailed.v1"

    package_id: UUID
    panel: Panel
    reason: str = Field(description="no-capacity, over-budget or no-budget")
    detail: str


class ReviewOutcome(StrEnum):
    MET = "met"
    PARTLY = "partly"
    NOT_MET = "not-met"


class PackageReviewed(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.commissioning.PackageReviewed.v1"

    package_id: UUID
    goals: ReviewOutcome
    level_of_need_change: int = Field(ge=-3, le=3)
    decision: str = Field(description="continue, recommission or decommission")
    next_review_on: date | None = None
