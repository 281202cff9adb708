"""Events the commissioning service publishes on `maag.commissioning.events`.

Money is in whole pence (integers), so sums are exact in every language.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.classification import OPERATIONAL
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

    service: Annotated[str, OPERATIONAL] = Field(min_length=1, max_length=LABEL_CHARS)
    provider_id: Annotated[str, OPERATIONAL] = Field(min_length=1, max_length=ID_CHARS)
    hours_per_week: Annotated[float | None, OPERATIONAL] = Field(default=None, gt=0, le=168)
    sessions_per_week: Annotated[int | None, OPERATIONAL] = Field(default=None, gt=0, le=50)
    weekly_cost_pence: Annotated[int, OPERATIONAL] = Pence


class PackageCommissioned(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.commissioning.PackageCommissioned.v1"

    package_id: Annotated[Uuid, OPERATIONAL]
    panel: Annotated[Panel, OPERATIONAL]
    interventions: Annotated[list[CommissionedIntervention], OPERATIONAL] = Field(
        min_length=1, max_length=INTERVENTIONS
    )
    weekly_cost_pence: Annotated[int, OPERATIONAL] = Pence
    starts_on: Annotated[Day, OPERATIONAL]
    review_on: Annotated[Day, OPERATIONAL]
    funding_split: Annotated[list[FundingShare], OPERATIONAL] = funding_split_field()
    alternative_to: Annotated[list[AvoidedOutcome], OPERATIONAL] = Field(
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

    package_id: Annotated[Uuid, OPERATIONAL]
    reason: Annotated[DecommissionReason, OPERATIONAL]
    effective_from: Annotated[Day, OPERATIONAL]
    provider_ids: Annotated[list[ProviderId], OPERATIONAL] = Field(
        default_factory=list, max_length=PROVIDERS, description="Providers to tell."
    )


class CommissioningFailed(IntegrationEvent):
    """A requested package could not be commissioned; the panel can decide again."""

    TYPE: ClassVar[str] = "maag.commissioning.CommissioningFailed.v1"

    package_id: Annotated[Uuid, OPERATIONAL]
    panel: Annotated[Panel, OPERATIONAL]
    reason: Annotated[str, OPERATIONAL] = Field(
        max_length=LABEL_CHARS,
        description="no-capacity, over-budget, no-budget or no-funding-split",
    )
    detail: Annotated[str, OPERATIONAL] = Field(max_length=TEXT_CHARS)


class ReviewOutcome(StrEnum):
    MET = "met"
    PARTLY = "partly"
    NOT_MET = "not-met"


class PackageReviewed(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.commissioning.PackageReviewed.v1"

    package_id: Annotated[Uuid, OPERATIONAL]
    goals: Annotated[ReviewOutcome, OPERATIONAL]
    level_of_need_change: Annotated[int, OPERATIONAL] = Field(ge=-3, le=3)
    decision: Annotated[str, OPERATIONAL] = Field(
        max_length=LABEL_CHARS, description="continue, recommission or decommission"
    )
    next_review_on: Annotated[Day | None, OPERATIONAL] = None
