"""Events the referral service publishes on `maag.referral.events`, and the agencies' submission.

No event here carries a child's name, date of birth or address: those stay encrypted in
the referral service. `ReferralSubmission` (inbound, agencies -> referral) is the one
message that does, and its topic is read only by the referral service.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, model_validator

from contracts.child import (
    Ethnicity,
    GpPractice,
    NhsNumber,
    Phone,
    Relationship,
    SchoolUrn,
    SenStatus,
    Sex,
    Upn,
)
from contracts.classification import IDENTIFYING, OPERATIONAL, SPECIAL, THIRD_PARTY
from contracts.events.base import IntegrationEvent
from contracts.limits import (
    ADDRESS_CHARS,
    AGENCIES,
    CARERS,
    EMAIL_CHARS,
    ID_CHARS,
    LABEL_CHARS,
    LANGUAGE_CHARS,
    NEED_CHARS,
    NEEDS,
    PHONE_CHARS,
    PROBLEM_CHARS,
    PROBLEMS,
    SERVICES,
    TEXT_CHARS,
    ExpectedDelivery,
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


class ParentCarer(BaseModel):
    """A parent or carer of the child, and how (and whether) to reach them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, IDENTIFYING] = Field(min_length=1, max_length=ID_CHARS)
    relationship: Annotated[Relationship, IDENTIFYING]
    parental_responsibility: Annotated[bool, IDENTIFYING] = Field(
        description="Whether they hold parental responsibility for the child."
    )
    may_contact: Annotated[bool, IDENTIFYING] = Field(
        description="Whether professionals may contact them about the child."
    )
    phone: Annotated[Phone | None, IDENTIFYING] = Field(default=None, max_length=PHONE_CHARS)
    email: Annotated[EmailStr | None, IDENTIFYING] = Field(default=None, max_length=EMAIL_CHARS)
    address: Annotated[str | None, IDENTIFYING] = Field(
        default=None,
        min_length=1,
        max_length=ADDRESS_CHARS,
        description="Where they live, when not with the child.",
    )


def _present(value: object) -> object:
    if value is None:
        raise ValueError("give a date, or leave the field out")
    return value


Present = BeforeValidator(_present)


def _one_date_schema(schema: dict[str, Any]) -> None:
    """The two dates may be left out but are never null (what `Present` makes the code
    accept too), and exactly one is given: said in plain JSON Schema."""
    for name in ("date_of_birth", "expected_date_of_delivery"):
        field = schema["properties"][name]
        (date,) = [v for v in field.pop("anyOf") if v.get("type") != "null"]
        field.pop("default", None)
        field.update(date)
    schema["if"] = {"not": {"required": ["date_of_birth"]}}
    schema["then"] = {"required": ["expected_date_of_delivery"]}
    schema["dependentSchemas"] = {
        "date_of_birth": {"not": {"required": ["expected_date_of_delivery"]}}
    }


class ChildDetails(BaseModel):
    """Personal data: travels only on the submissions topic and the referral API. A child
    not yet born has an expected date of delivery instead of a date of birth (exactly one
    of the two)."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_one_date_schema)

    given_name: Annotated[str, IDENTIFYING] = Field(
        min_length=1,
        max_length=ID_CHARS,
        description="Before birth, the name the family uses for the baby, or 'Baby'.",
    )
    family_name: Annotated[str, IDENTIFYING] = Field(min_length=1, max_length=ID_CHARS)
    date_of_birth: Annotated[PastDate | None, IDENTIFYING, Present] = None
    expected_date_of_delivery: Annotated[ExpectedDelivery | None, IDENTIFYING, Present] = Field(
        default=None, description="A pre-birth referral: when the baby is due."
    )
    address: Annotated[str, IDENTIFYING] = Field(min_length=1, max_length=ADDRESS_CHARS)
    sex: Annotated[Sex | None, IDENTIFYING] = None
    ethnicity: Annotated[Ethnicity | None, SPECIAL] = Field(
        default=None, description="As the family describes it (census 2021 groups)."
    )
    first_language: Annotated[str | None, IDENTIFYING] = Field(
        default=None, min_length=1, max_length=LANGUAGE_CHARS
    )
    disability: Annotated[bool | None, SPECIAL] = None
    sen: Annotated[SenStatus | None, SPECIAL] = Field(
        default=None, description="Special educational needs provision."
    )
    nhs_number: Annotated[NhsNumber | None, IDENTIFYING] = None
    upn: Annotated[Upn | None, IDENTIFYING] = Field(
        default=None, description="The Unique Pupil Number schools know the child by."
    )
    school_urn: Annotated[SchoolUrn | None, IDENTIFYING] = Field(
        default=None, description="The school's Unique Reference Number."
    )
    gp_practice: Annotated[GpPractice | None, IDENTIFYING] = Field(
        default=None, description="The GP practice's NHS organisation (ODS) code."
    )
    parents_carers: Annotated[list[ParentCarer], IDENTIFYING] = Field(
        default_factory=list, max_length=CARERS
    )

    @model_validator(mode="after")
    def _one_date(self) -> ChildDetails:
        if (self.date_of_birth is None) == (self.expected_date_of_delivery is None):
            raise ValueError(
                "date_of_birth: give the date of birth, or for a child not yet born the "
                "expected_date_of_delivery (one of the two)"
            )
        return self

    @property
    def unborn(self) -> bool:
        return self.date_of_birth is None


class ConsentGiven(BaseModel):
    """Consent to share, as recorded by the referrer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    given_by: Annotated[ConsentGiver, OPERATIONAL]
    scope: Annotated[list[Agency], OPERATIONAL] = Field(
        min_length=1, max_length=AGENCIES, description="Agencies that may share information."
    )
    given_on: Annotated[PastDate, OPERATIONAL]
    how_obtained: Annotated[str, SPECIAL] = Field(min_length=1, max_length=TEXT_CHARS)
    given_by_name: Annotated[str | None, IDENTIFYING] = Field(
        default=None,
        min_length=1,
        max_length=ID_CHARS,
        description=(
            "Who gave it: a parent or carer recorded on the child's record (by name, as "
            "recorded), or the young person's own name."
        ),
    )


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
