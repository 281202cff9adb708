"""Events the referral service publishes on `maag.referral.events`, and the agencies' submission.

No event here carries a child's name, date of birth or address: those stay encrypted in
the referral service. `ReferralSubmission` (inbound, agencies -> referral) is the one
message that does, and its topic is read only by the referral service.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import IntegrationEvent
from contracts.reference import Agency, District, LevelOfNeed

CafReference = Field(
    pattern=r"^CAF-[0-9]{4}-[0-9]{4,8}$",
    description="The county CAF register id (CAF Point), e.g. CAF-2010-000123.",
)


class ConsentGiver(StrEnum):
    PARENT_CARER = "parent-carer"
    YOUNG_PERSON = "young-person"


class ReferralReceived(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.referral.ReferralReceived.v1"

    caf_reference: str = CafReference
    referring_agency: Agency
    referring_professional_id: str = Field(min_length=1, max_length=200)
    district: District
    needs: list[str] = Field(
        min_length=1, description="Domains of the CAF assessment where needs were found."
    )
    agencies_requested: list[Agency] = Field(
        description="Agencies whose support above universal services is asked for."
    )
    level_of_need: LevelOfNeed
    significant_harm_concern: bool
    transition: bool = Field(description="Leaving care or hospital.")


class ConsentRecorded(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.referral.ConsentRecorded.v1"

    given_by: ConsentGiver
    scope: list[Agency] = Field(min_length=1, description="Agencies that may share information.")
    given_on: date
    how_obtained: str = Field(min_length=1, max_length=500)


class ChildDetails(BaseModel):
    """Personal data: travels only on the submissions topic, into the referral service."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    date_of_birth: date
    address: str = Field(min_length=1, max_length=1000)


class ReferralSubmission(BaseModel):
    """An agency's referral, sent to `maag.referral.submissions` (key: `submission_id`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str] = "maag.referral.ReferralSubmission.v1"

    submission_id: str = Field(
        min_length=8, max_length=100, description="Chosen by the agency; a resend is ignored."
    )
    caf_reference: str = CafReference
    referring_agency: Agency
    referring_professional_id: str = Field(min_length=1, max_length=200)
    district: District
    child: ChildDetails
    needs: list[str] = Field(min_length=1)
    agencies_requested: list[Agency]
    level_of_need: LevelOfNeed
    significant_harm_concern: bool
    transition: bool
