"""Events the referral service publishes on `maag.referral.events`, and the agencies' submission.

No event here carries a child's name, date of birth or address: those stay encrypted in
the referral service. `ReferralSubmission` (inbound, agencies -> referral) is the one
message that does, and its topic is read only by the referral service.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.classification import IDENTIFYING, OPERATIONAL, SPECIAL, THIRD_PARTY
from contracts.events.base import IntegrationEvent
from contracts.limits import (
    ADDRESS_CHARS,
    AGENCIES,
    ID_CHARS,
    LABEL_CHARS,
    NEED_CHARS,
    NEEDS,
    PROBLEM_CHARS,
    PROBLEMS,
    SERVICES,
    TEXT_CHARS,
    PastDate,
)
from contracts.reference import (
    Agency,
    District,
    Panel,
    Service,
    SocialCareAnswer,
    SocialCareRoute,
    TransitionBasis,
)
from contracts.strict import Day, Level, Uuid

CafReference = Field(
    pattern=r"^CAF-[0-9]{4}-[0-9]{4,8}$",
    max_length=17,
    description="The county CAF register id (CAF Point), e.g. CAF-2010-000123.",
)


# One domain of need from the CAF assessment, e.g. "emotional wellbeing".
Need = Annotated[str, Field(min_length=1, max_length=NEED_CHARS)]
Reason = Field(max_length=TEXT_CHARS)


class ConsentGiver(StrEnum):
    PARENT_CARER = "parent-carer"
    YOUNG_PERSON = "young-person"


class ReferralReceived(IntegrationEvent):
    """No longer published: it carried the CAF reference, needs, harm and transition, which
    an erasure could not reach on the topic. The topic's older history holds it; v2
    (`ReferralReceivedV2`) is published instead."""

    TYPE: ClassVar[str] = "maag.referral.ReferralReceived.v1"

    caf_reference: Annotated[str, IDENTIFYING] = CafReference
    referring_agency: Annotated[Agency, OPERATIONAL]
    referring_professional_id: Annotated[str, THIRD_PARTY] = Field(
        min_length=1, max_length=ID_CHARS
    )
    district: Annotated[District, OPERATIONAL]
    needs: Annotated[list[Need], SPECIAL] = Field(
        min_length=1,
        max_length=NEEDS,
        description="Domains of the CAF assessment where needs were found.",
    )
    agencies_requested: Annotated[list[Agency], OPERATIONAL] = Field(
        max_length=AGENCIES,
        description="Agencies whose support above universal services is asked for.",
    )
    level_of_need: Annotated[Level, OPERATIONAL]
    significant_harm_concern: Annotated[bool, SPECIAL]
    transition: Annotated[bool, SPECIAL] = Field(description="Leaving care or hospital.")
    child_id: Annotated[Uuid | None, IDENTIFYING] = Field(
        default=None,
        description="The child's pseudonymous id in the child index (absent before it).",
    )


class ReferralReceivedV2(IntegrationEvent):
    """A referral received, as published since erasure reaches every copy: what the panels
    and commissioning work on, and nothing that identifies the child or is about their life
    (the CAF reference, the needs, harm, transition and the child's id stay in the referral
    service, sealed under the case's own key, and go with it when the case is erased). v1
    (`ReferralReceived`) is no longer published; the topic's older history holds it."""

    TYPE: ClassVar[str] = "maag.referral.ReferralReceived.v2"

    referring_agency: Annotated[Agency, OPERATIONAL]
    referring_professional_id: Annotated[str, THIRD_PARTY] = Field(
        min_length=1, max_length=ID_CHARS
    )
    district: Annotated[District, OPERATIONAL]
    agencies_requested: Annotated[list[Agency], OPERATIONAL] = Field(
        max_length=AGENCIES,
        description="Agencies whose support above universal services is asked for.",
    )
    level_of_need: Annotated[Level, OPERATIONAL]


class ChildMatchConfirmed(IntegrationEvent):
    """A person confirmed that this referral's child is one the child index already knew:
    the referral is now that child's (`child_id`). When the child has a case open at a panel,
    `joins_case_id` names it: the new referral goes to that case, not to a new one."""

    TYPE: ClassVar[str] = "maag.referral.ChildMatchConfirmed.v1"

    child_id: Annotated[Uuid, IDENTIFYING]
    previous_child_id: Annotated[Uuid | None, IDENTIFYING] = Field(
        default=None, description="The id the referral had as a new child."
    )
    joins_case_id: Annotated[Uuid | None, IDENTIFYING] = None


class HouseholdLinked(IntegrationEvent):
    """This referral's child and a sibling are in one household."""

    TYPE: ClassVar[str] = "maag.referral.HouseholdLinked.v1"

    child_id: Annotated[Uuid, IDENTIFYING]
    household_id: Annotated[Uuid, IDENTIFYING]
    sibling_case_id: Annotated[Uuid, IDENTIFYING]
    sibling_child_id: Annotated[Uuid, IDENTIFYING]


class ConsentRecorded(IntegrationEvent):
    """No longer published: it carried how consent was obtained (free text about the
    family). The topic's older history holds it; v2 (`ConsentRecordedV2`) is published."""

    TYPE: ClassVar[str] = "maag.referral.ConsentRecorded.v1"

    given_by: Annotated[ConsentGiver, OPERATIONAL]
    scope: Annotated[list[Agency], OPERATIONAL] = Field(
        min_length=1, max_length=AGENCIES, description="Agencies that may share information."
    )
    given_on: Annotated[Day, OPERATIONAL]
    how_obtained: Annotated[str, SPECIAL] = Field(min_length=1, max_length=TEXT_CHARS)


class ConsentRecordedV2(IntegrationEvent):
    """Consent recorded, as published since erasure reaches every copy: who gave it, for
    which agencies, when; how it was obtained (free text about the family) stays in the
    referral service. v1 (`ConsentRecorded`) is no longer published."""

    TYPE: ClassVar[str] = "maag.referral.ConsentRecorded.v2"

    given_by: Annotated[ConsentGiver, OPERATIONAL]
    scope: Annotated[list[Agency], OPERATIONAL] = Field(
        min_length=1, max_length=AGENCIES, description="Agencies that may share information."
    )
    given_on: Annotated[Day, OPERATIONAL]


class PersonalDataErased(IntegrationEvent):
    """The data protection officer erased the case's personal data: every service that
    holds any of it for the case destroys it (its data key, its read models' copies). What
    was decided stays."""

    TYPE: ClassVar[str] = "maag.referral.PersonalDataErased.v1"

    erased_on: Annotated[Day, OPERATIONAL]


class ConsentWithdrawn(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.referral.ConsentWithdrawn.v1"

    withdrawn_on: Annotated[Day, OPERATIONAL]
    # what was decided (the case goes on or pauses), not why: operational
    continues_on_safeguarding_basis: Annotated[bool, OPERATIONAL] = Field(
        description="True when a recorded safeguarding basis still allows sharing."
    )


class SafeguardingBasisRecorded(IntegrationEvent):
    """A named professional records a basis for sharing without consent.

    The free-text justification stays in the referral service (it may name people)."""

    TYPE: ClassVar[str] = "maag.referral.SafeguardingBasisRecorded.v1"

    professional_id: Annotated[str, THIRD_PARTY] = Field(min_length=1, max_length=ID_CHARS)
    recorded_on: Annotated[Day, OPERATIONAL]


class ReferralAccepted(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.referral.ReferralAccepted.v1"

    district: Annotated[District, OPERATIONAL]
    panel: Annotated[Panel, OPERATIONAL] = Field(
        description="The panel whose next meeting lists the case."
    )
    level_of_need: Annotated[Level, OPERATIONAL]
    agencies_requested: Annotated[list[Agency], OPERATIONAL] = Field(max_length=AGENCIES)
    reason: Annotated[str, OPERATIONAL] = Reason
    joins_case_id: Annotated[Uuid | None, IDENTIFYING] = Field(
        default=None,
        description="The child's case already open at a panel, which this referral joins "
        "(a confirmed match): no new case is opened.",
    )
    from_social_care: Annotated[bool, OPERATIONAL] = Field(
        default=False,
        description="Stepped down into the MAAG by children's social care's front door, "
        "after a referral for significant harm (its history is on the case).",
    )


class ReferralPendingConsent(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.referral.ReferralPendingConsent.v1"

    reason: Annotated[str, OPERATIONAL] = Reason


class ReferralDeclined(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.referral.ReferralDeclined.v1"

    reason: Annotated[str, OPERATIONAL] = Reason
    signposting: Annotated[str, OPERATIONAL] = Field(
        max_length=TEXT_CHARS, description="Where the referrer can turn instead."
    )


class ReferralRedirectedToSocialCare(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.referral.ReferralRedirectedToSocialCare.v1"

    district: Annotated[District, OPERATIONAL]
    reason: Annotated[str, OPERATIONAL] = Reason


class SocialCareReferralMade(IntegrationEvent):
    """The case is referred to children's social care's front door (the MASH) of its
    district: at triage, for a concern of significant harm, or by a panel's decision. The
    front door reads the child's details from the referral service, under the safeguarding
    basis the referral itself is (each read recorded); none of them is on any topic."""

    TYPE: ClassVar[str] = "maag.referral.SocialCareReferralMade.v1"

    district: Annotated[District, OPERATIONAL]
    referring_agency: Annotated[Agency, OPERATIONAL]
    route: Annotated[SocialCareRoute, OPERATIONAL]
    reason: Annotated[str, OPERATIONAL] = Reason


class SocialCareAnswered(IntegrationEvent):
    """The front door answered: children's social care takes the case on, or steps it down
    into the district's MAAG (which lists it, with consent or a safeguarding basis)."""

    TYPE: ClassVar[str] = "maag.referral.SocialCareAnswered.v1"

    district: Annotated[District, OPERATIONAL] = Field(
        description="Stepped down: the district whose MAAG takes the case."
    )
    answer: Annotated[SocialCareAnswer, OPERATIONAL]
    route: Annotated[SocialCareRoute, OPERATIONAL]


class FieldProblem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    field: Annotated[str, OPERATIONAL] = Field(max_length=LABEL_CHARS)
    reason: Annotated[str, OPERATIONAL] = Field(max_length=PROBLEM_CHARS)


class ReferralRejected(IntegrationEvent):
    """A submission from the topic that could not be accepted; the agency learns why."""

    TYPE: ClassVar[str] = "maag.referral.ReferralRejected.v1"

    submission_id: Annotated[str | None, OPERATIONAL] = Field(
        default=None,
        max_length=100,
        description="The agency's submission_id, when the submission had a readable one.",
    )
    referring_agency: Annotated[str | None, OPERATIONAL] = Field(default=None, max_length=ID_CHARS)
    source_partition: Annotated[int, OPERATIONAL]
    source_offset: Annotated[int, OPERATIONAL]
    problems: Annotated[list[FieldProblem], OPERATIONAL] = Field(min_length=1, max_length=PROBLEMS)


class ChildDetails(BaseModel):
    """Personal data: travels only on the submissions topic and the referral API."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    given_name: Annotated[str, IDENTIFYING] = Field(min_length=1, max_length=ID_CHARS)
    family_name: Annotated[str, IDENTIFYING] = Field(min_length=1, max_length=ID_CHARS)
    date_of_birth: Annotated[PastDate, IDENTIFYING]
    address: Annotated[str, IDENTIFYING] = Field(min_length=1, max_length=ADDRESS_CHARS)


class ConsentGiven(BaseModel):
    """Consent to share, as recorded by the referrer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    given_by: Annotated[ConsentGiver, OPERATIONAL]
    scope: Annotated[list[Agency], OPERATIONAL] = Field(
        min_length=1, max_length=AGENCIES, description="Agencies that may share information."
    )
    given_on: Annotated[PastDate, OPERATIONAL]
    how_obtained: Annotated[str, SPECIAL] = Field(min_length=1, max_length=TEXT_CHARS)


class ReferralDetails(BaseModel):
    """What an agency's professional submits, by HTTP or on the submissions topic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    caf_reference: Annotated[str, IDENTIFYING] = CafReference
    referring_agency: Annotated[Agency, OPERATIONAL]
    referring_professional_id: Annotated[str, THIRD_PARTY] = Field(
        min_length=1, max_length=ID_CHARS
    )
    district: Annotated[District, OPERATIONAL]
    child: Annotated[ChildDetails, IDENTIFYING]
    needs: Annotated[list[Need], SPECIAL] = Field(
        min_length=1, max_length=NEEDS, description="Domains of the CAF assessment."
    )
    agencies_requested: Annotated[list[Agency], OPERATIONAL] = Field(
        max_length=AGENCIES,
        description="Agencies whose support above universal services is asked for.",
    )
    services_requested: Annotated[list[Service], OPERATIONAL] = Field(
        default_factory=list,
        max_length=SERVICES,
        description=(
            "Within education, primary health and children's centres, the services asked for: "
            "an agency named only by its universal services (school, GP, health visitor, "
            "school nurse, children's centre) is not support above universal services."
        ),
    )
    level_of_need: Annotated[Level, OPERATIONAL]
    significant_harm_concern: Annotated[bool, SPECIAL]
    transition: Annotated[bool, SPECIAL] = Field(
        description="A transition package: looked after, in hospital, or acute needs."
    )
    transition_basis: Annotated[TransitionBasis | None, SPECIAL] = Field(
        default=None, description="Why a transition package (naming one makes it one)."
    )
    consent: Annotated[ConsentGiven | None, SPECIAL] = Field(
        default=None, description="Consent already given; without it the referral waits."
    )


class ReferralSubmission(ReferralDetails):
    """An agency's referral on `maag.referral.submissions` (key: `submission_id`), with the
    header `authorization: Bearer <token>` as on the HTTP API."""

    TYPE: ClassVar[str] = "maag.referral.ReferralSubmission.v1"

    submission_id: Annotated[str, OPERATIONAL] = Field(
        min_length=8, max_length=100, description="Chosen by the agency; a resend is ignored."
    )
