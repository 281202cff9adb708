"""What the panel's HTTP API accepts: each body as its OpenAPI document shows it, read
strictly (`maag.runtime.web.http.StrictRoute`); a decision's or a plan change's `kind` picks
its body, and `adapters/http.py` maps each body by a table to its command."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from contracts.events.base import FundingShare
from contracts.events.panel import RequestedIntervention, ReviewDecision
from contracts.limits import (
    EMAIL_CHARS,
    ID_CHARS,
    INTERVENTIONS,
    LABEL_CHARS,
    NOTE_CHARS,
    TEAM,
    TEXT_CHARS,
)
from contracts.reference import (
    JAP_FUNDERS,
    ORGANISATIONS,
    Agency,
    AvoidedOutcome,
    ClosureOutcome,
    District,
    Panel,
)
from contracts.strict import Timestamp
from services.panel.domain.values import Outcome, Progress

# --- meetings ---

MEETINGS_FROM, MEETINGS_UNTIL = 2000, 2100


class ScheduleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    panel: Panel
    district: District | None = Field(
        default=None, description="Required for a MAAG; absent for EARP and JAP."
    )
    starts_at: Timestamp

    @field_validator("starts_at")
    @classmethod
    def _a_meeting_date(cls, value: datetime) -> datetime:
        # far dates overflow the calendar arithmetic (and are nobody's meeting)
        if not MEETINGS_FROM <= value.year < MEETINGS_UNTIL:
            raise ValueError(f"a meeting starts from {MEETINGS_FROM} to {MEETINGS_UNTIL - 1}")
        return value

    @model_validator(mode="after")
    def _district_matches_panel(self) -> ScheduleRequest:
        if (self.panel is Panel.MAAG) != (self.district is not None):
            raise ValueError("district is required for a MAAG and must be absent for EARP and JAP")
        return self


class AttendanceRequest(BaseModel):
    """Confirms the caller's own attendance: who and for which agency come from their token."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=ID_CHARS)


class ExpectedAttendeeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: str = Field(min_length=1, max_length=ID_CHARS)
    name: str = Field(min_length=1, max_length=ID_CHARS)
    agency: Agency


class ApologiesRequest(BaseModel):
    """The caller's own apologies: who and for which agency come from their token."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=ID_CHARS)


# Text someone must write: surrounding spaces dropped, and then something left.
Said = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class MinutesRequest(BaseModel):
    """The chair's minutes of a meeting while it sits: of one agenda item (a case listed there)
    or, without `case_id`, the meeting's general minutes; each replaces what was recorded
    before (every version is kept)."""

    model_config = ConfigDict(extra="forbid")

    case_id: UUID | None = Field(
        default=None,
        description="The agenda item minuted: a case listed at the meeting. Absent: the "
        "meeting's general minutes (which name no child: a case's discussion goes on its item).",
    )
    discussion: Said = Field(max_length=NOTE_CHARS)
    actions: str = Field(
        default="", max_length=NOTE_CHARS, description="The actions agreed, one to a line."
    )


class DeclarationRequest(BaseModel):
    """The caller's declaration of an interest in a case listed at the meeting, before the
    meeting decides on it: who and for which agency come from their token."""

    model_config = ConfigDict(extra="forbid")

    case_id: UUID
    name: str = Field(min_length=1, max_length=ID_CHARS)
    interest: Said = Field(
        max_length=TEXT_CHARS,
        description="What the interest is: the member's or their organisation's, not the child's.",
    )
    withdraws: bool = Field(
        description="Whether they withdraw from the decision on the case (then they count "
        "toward no quorum for it, and may not record it)."
    )


class ListCaseRequest(BaseModel):
    """Lists a case the panel holds on this meeting (one called for it, or the next that
    sits); what waits for it at the panel's later meetings comes with it."""

    model_config = ConfigDict(extra="forbid")

    case_id: UUID
    reason: str = Field(min_length=1, max_length=TEXT_CHARS)


# --- decisions (POST /meetings/{meeting_id}/decisions) ---


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
        description=(
            "EARP and JAP (required): what the package is an alternative to; MAAG "
            "(optional): what it is there to prevent."
        ),
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
    goals: Outcome | None = Field(
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
    outcomes: list[ClosureOutcome] = Field(
        default_factory=list,
        max_length=len(ClosureOutcome),
        description="Where the child stands: living at home, in their local school, in the "
        "county, stepped down to universal services.",
    )


class ReferToSocialCare(_Decision):
    """Refer the case to children's social care's front door (the MASH): it leaves every
    agenda, and takes no decisions until the front door takes it on or steps it down."""

    kind: Literal["refer-to-social-care"]
    reason: str = Field(min_length=1, max_length=TEXT_CHARS)


Decision = Annotated[
    AssignLeadProfessional
    | RequestPackage
    | ReviewPackage
    | Escalate
    | StepDown
    | Defer
    | Close
    | ReferToSocialCare,
    Field(discriminator="kind"),
]


# --- the lead professional's changes to the plan (POST /cases/{case_id}/plan) ---

# A plan's own ids for its needs, goals and actions, chosen by the lead professional ("n1",
# "g-school"): a retry with the same id changes nothing.
PlanId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddMember(_Change):
    kind: Literal["add-member"]
    member_id: str = Field(min_length=1, max_length=ID_CHARS, description="Their user id.")
    name: str = Field(min_length=1, max_length=ID_CHARS)
    organisation: str = Field(min_length=1, max_length=ID_CHARS)
    role: str = Field(min_length=1, max_length=LABEL_CHARS, description="e.g. school nurse")

    @model_validator(mode="after")
    def _known_organisation(self) -> AddMember:
        if self.organisation not in ORGANISATIONS:
            raise ValueError(f"organisation: not one of {', '.join(sorted(ORGANISATIONS))}")
        return self


class RecordMeeting(_Change):
    kind: Literal["record-meeting"]
    held_on: date
    attended: list[Annotated[str, Field(min_length=1, max_length=ID_CHARS)]] = Field(
        min_length=1, max_length=TEAM, description="Team member ids, and 'family'."
    )
    consent_reconfirmed: bool
    summary: str = Field(default="", max_length=NOTE_CHARS)


class RecordNeed(_Change):
    kind: Literal["record-need"]
    need_id: PlanId
    text: str = Field(min_length=1, max_length=TEXT_CHARS)


class SetGoal(_Change):
    kind: Literal["set-goal"]
    goal_id: PlanId
    need_id: PlanId
    text: str = Field(min_length=1, max_length=TEXT_CHARS)


class AgreeAction(_Change):
    kind: Literal["agree-action"]
    action_id: PlanId
    goal_id: PlanId
    text: str = Field(min_length=1, max_length=TEXT_CHARS)
    owner: str = Field(min_length=1, max_length=ID_CHARS, description="A team member's id.")
    due_on: date
    intervention: str | None = Field(
        default=None, max_length=LABEL_CHARS, description="A service of the case's package."
    )


class RecordProgress(_Change):
    kind: Literal["record-progress"]
    goal_id: PlanId
    status: Progress
    note: str = Field(default="", max_length=TEXT_CHARS)
    recorded_on: date


class AgreePlan(_Change):
    kind: Literal["agree-plan"]
    agreed_on: date
    review_on: date


class GoalOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal_id: PlanId
    outcome: Outcome


class ReviewPlan(_Change):
    kind: Literal["review-plan"]
    reviewed_on: date
    outcomes: list[GoalOutcome] = Field(min_length=1, max_length=TEAM)

    @model_validator(mode="after")
    def _each_goal_once(self) -> ReviewPlan:
        if len({o.goal_id for o in self.outcomes}) != len(self.outcomes):
            raise ValueError("outcomes: each goal appears once")
        return self


PlanChange = Annotated[
    AddMember
    | RecordMeeting
    | RecordNeed
    | SetGoal
    | AgreeAction
    | RecordProgress
    | AgreePlan
    | ReviewPlan,
    Field(discriminator="kind"),
]
