"""Events the commissioning service publishes on `maag.commissioning.events`.

Money is in whole pence (integers), so sums are exact in every language.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.events.base import FundingShare, IntegrationEvent, check_split, funding_split_field
from contracts.limits import (
    ID_CHARS,
    INTERVENTIONS,
    LABEL_CHARS,
    PROVIDERS,
    TEXT_CHARS,
)
from contracts.reference import AvoidedOutcome, Panel
from contracts.strict import Day, Uuid

# Whole pence; a million pounds a week is far beyond any package.
Pence = Field(ge=0, le=100_000_000)


class CommissionedIntervention(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    service: str = Field(min_length=1, max_length=LABEL_CHARS)
    provider_id: str = Field(min_length=1, max_length=ID_CHARS)
    hours_per_week: float | None = Field(default=None, gt=0, le=168)
    sessions_per_week: int | None = Field(default=None, gt=0, le=50)
    weekly_cost_pence: int = Pence


class PackageCommissioned(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.commissioning.PackageCommissioned.v1"

    package_id: Uuid
    panel: Panel
    interventions: list[CommissionedIntervention] = Field(min_length=1, max_length=INTERVENTIONS)
    weekly_cost_pence: int = Pence
    starts_on: Day
    review_on: Day
    funding_split: list[FundingShare] = funding_split_field()
    alternative_to: list[AvoidedOutcome] = Field(
        default_factory=list,
        max_length=len(AvoidedOutcome),
        description="EARP and JAP packages: what the package is an alternative to.",
    )

    @model_validator(mode="after")
    def _split_sums_to_100(self) -> PackageCommissioned:
        check_split(self.funding_split)
        return self


ProviderId = Annotated[str, Field(min_length=1, max_length=ID_CHARS)]


class DecommissionReason(StrEnum):
    OUTCOMES_MET = "outcomes-met"
    NOT_EFFECTIVE = "not-effective"
    CONSENT_WITHDRAWN = "consent-withdrawn"
    CASE_CLOSED = "case-closed"
    ESCALATED = "escalated"


class PackageDecommissioned(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.commissioning.PackageDecommissioned.v1"

    package_id: Uuid
    reason: DecommissionReason
    effective_from: Day
    provider_ids: list[ProviderId] = Field(
        default_factory=list, max_length=PROVIDERS, description="Providers to tell."
    )


class CommissioningFailed(IntegrationEvent):
    """A requested package could not be commissioned; the panel can decide again."""

    TYPE: ClassVar[str] = "maag.commissioning.CommissioningFailed.v1"

    package_id: Uuid
    panel: Panel
    reason: str = Field(
        max_length=LABEL_CHARS,
        description="no-capacity, over-budget, no-budget or no-funding-split",
    )
    detail: str = Field(max_length=TEXT_CHARS)


class ReviewOutcome(StrEnum):
    MET = "met"
    PARTLY = "partly"
    NOT_MET = "not-met"


class PackageReviewed(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.commissioning.PackageReviewed.v1"

    package_id: Uuid
    goals: ReviewOutcome
    level_of_need_change: int = Field(ge=-3, le=3)
    decision: str = Field(
        max_length=LABEL_CHARS, description="continue, recommission or decommission"
    )
    next_review_on: Day | None = None
