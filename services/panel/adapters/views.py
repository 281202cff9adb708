"""What the panel's HTTP API answers: each response as its OpenAPI document shows it, made
from the aggregates and read-model rows the application gives."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from contracts.events.panel import RequestedIntervention, ReviewDecision
from contracts.reference import District, Panel, Position
from services.panel.application import ports
from services.panel.application.app import PanelApp
from services.panel.domain.case import PanelCase
from services.panel.domain.meeting import Meeting
from services.panel.domain.minutes import ItemMinutes
from services.panel.domain.plan import Plan
from services.panel.domain.values import (
    Action,
    Agreement,
    CaseStatus,
    Declaration,
    FamilyMeeting,
    Goal,
    Lead,
    Member,
    Minutes,
    Outcome,
    Package,
    PlanReview,
    Progress,
    ProgressNote,
)

# --- meetings ---


class AttendeeView(BaseModel):
    person_id: str
    name: str
    agency: str
    position: Position


class ExpectedView(BaseModel):
    person_id: str
    name: str
    agency: str


class ApologyView(BaseModel):
    person_id: str
    name: str
    agency: str


class MinutesView(BaseModel):
    """Minutes as last recorded (each version is kept in the store)."""

    discussion: str | None = Field(description="None: erased with the case's personal data.")
    actions: str | None = Field(description="The actions agreed, one to a line.")
    recorded_at: datetime

    @classmethod
    def of(cls, minutes: Minutes | None) -> MinutesView | None:
        return cls.model_validate(minutes, from_attributes=True) if minutes else None


class DeclarationView(BaseModel):
    """A member's declaration of an interest in a case at a meeting, made before its decision."""

    person_id: str
    name: str
    agency: str
    interest: str
    withdraws: bool = Field(description="Whether they withdrew from the decision on the case.")

    @classmethod
    def all_of(cls, declarations: dict[str, Declaration]) -> list[DeclarationView]:
        return [
            cls(
                person_id=p,
                name=d.name,
                agency=d.agency,
                interest=d.interest,
                withdraws=d.withdraws,
            )
            for p, d in declarations.items()
        ]


class CirculationView(BaseModel):
    """The agenda as last circulated to the panel's members."""

    number: int = Field(description="1 for the first circulation; each later one revises it.")
    circulated_at: datetime
    cases_listed: int = Field(description="How many cases the agenda listed then.")
    changed_since: bool = Field(
        description="Whether a case was listed or taken off since (it may be circulated again)."
    )

    @classmethod
    def of(cls, meeting: Meeting) -> CirculationView | None:
        last = meeting.circulated
        if last is None:
            return None
        return cls(
            number=last.number,
            circulated_at=last.at,
            cases_listed=last.cases,
            changed_since=last.changed,
        )


class MeetingView(BaseModel):
    meeting_id: UUID
    panel: Panel
    district: District | None
    starts_at: datetime
    ends_at: datetime = Field(
        description="When its window closes: attendance and decisions are recorded from "
        "starts_at until then; a case it leaves undecided is carried to the next meeting."
    )
    attendance: list[AttendeeView]
    expected: list[ExpectedView] = Field(
        description="Who the coordinator expects; only attendance counts toward quorum."
    )
    apologies: list[ApologyView] = Field(
        description="Who sent apologies (and did not confirm their attendance after all)."
    )
    absent: list[ExpectedView] = Field(
        description="Who was expected and neither confirmed their attendance nor sent apologies."
    )
    quorate: bool
    missing_for_quorum: list[str]
    minutes: MinutesView | None = Field(
        description="The meeting's general minutes, as the chair last recorded them."
    )
    agenda_closes_at: datetime = Field(
        description="The agenda's cut-off, a day before the meeting: a case accepted later "
        "goes to the panel's next meeting; the agenda is circulated before it."
    )
    circulated: CirculationView | None = Field(
        description="The agenda as last circulated to the panel's members (None: not yet)."
    )

    @classmethod
    def of(cls, meeting: Meeting, app: PanelApp, **more: object) -> Self:
        missing = meeting.missing_for_quorum(app.quorum_other_agencies)
        return cls.model_validate(
            {
                "meeting_id": meeting.id,
                "panel": meeting.panel,
                "district": meeting.district,
                "starts_at": meeting.starts_at,
                "ends_at": meeting.ends_at(app.meeting_window),
                "attendance": [
                    AttendeeView(person_id=p, name=a.name, agency=a.agency, position=a.position)
                    for p, a in meeting.attendance.items()
                ],
                "expected": [
                    ExpectedView(person_id=p, name=e.name, agency=e.agency)
                    for p, e in meeting.expected.items()
                ],
                "apologies": [
                    ApologyView(person_id=p, name=a.name, agency=a.agency)
                    for p, a in meeting.apologies.items()
                    if p not in meeting.attendance
                ],
                "absent": [
                    ExpectedView(person_id=p, name=e.name, agency=e.agency)
                    for p, e in meeting.absent.items()
                ],
                "quorate": not missing,
                "missing_for_quorum": missing,
                "minutes": MinutesView.of(meeting.minutes),
                "agenda_closes_at": meeting.agenda_closes_at,
                "circulated": CirculationView.of(meeting),
                **more,
            }
        )


class AgendaItem(BaseModel):
    case_id: UUID
    reason: str
    status: str
    decisions: str
    listed_at: datetime
    declarations: list[DeclarationView] = Field(
        default_factory=list,
        description="Interests declared in the case at this meeting, before its decision.",
    )
    quorate: bool = Field(
        description="Whether the meeting is quorate for this case, leaving out those who "
        "declared an interest in it and withdrew from its decision."
    )
    missing_for_quorum: list[str]
    minutes: MinutesView | None = Field(
        default=None,
        description="The item's minutes, for those who sit on the panel (written about a "
        "child, they are withheld from the auditor here as in the case's timeline).",
    )


class AgendaView(MeetingView):
    agenda: list[AgendaItem]

    @classmethod
    def of_agenda(
        cls,
        meeting: Meeting,
        items: list[ports.AgendaItem],
        app: PanelApp,
        cases: dict[UUID, PanelCase],
        minutes: dict[UUID, ItemMinutes],
    ) -> Self:
        def item(i: ports.AgendaItem) -> AgendaItem:
            case = cases.get(i.case_id)
            withdrawn = case.withdrawn_at(meeting.id) if case else frozenset()
            missing = meeting.missing_for_quorum(app.quorum_other_agencies, withdrawn)
            minuted = minutes.get(i.case_id)
            return AgendaItem(
                case_id=i.case_id,
                reason=i.reason,
                status=i.status,
                decisions=i.decisions,
                listed_at=i.listed_at,
                declarations=DeclarationView.all_of(case.declarations_at(meeting.id))
                if case
                else [],
                quorate=not missing,
                missing_for_quorum=missing,
                minutes=MinutesView.of(minuted.minutes) if minuted else None,
            )

        return cls.of(meeting, app, agenda=[item(i) for i in items])


class ScheduledMeetingView(BaseModel):
    meeting_id: UUID
    panel: Panel
    district: District | None
    starts_at: datetime
    cases: int = Field(description="Cases on its agenda (decided or still to decide).")


class WorkItemView(BaseModel):
    """Something waiting at a meeting of the caller's panels."""

    kind: Literal["sitting", "to-come", "left-undecided"]
    meeting_id: UUID
    panel: Panel
    district: District | None
    starts_at: datetime
    due: datetime = Field(description="Its window's close (sitting, left undecided) or start.")
    overdue: bool
    to_decide: int = Field(description="Cases listed and not yet decided.")
    reviews: int = Field(description="Of those, package reviews.")
    quorate: bool | None = Field(description="For a meeting sitting now.")
    missing_for_quorum: list[str]


class DueItemView(BaseModel):
    """Something due on a case the caller leads."""

    case_id: UUID
    kind: Literal["action", "plan-review", "package-review"]
    ref: str = Field(description="The plan action's id, or the package's (or the plan's).")
    due_on: date
    overdue: bool


# --- cases ---


class LeadView(BaseModel):
    professional_id: str
    name: str
    agency: str
    work_email: str

    @classmethod
    def of(cls, lead: Lead | None) -> LeadView | None:
        return cls.model_validate(lead, from_attributes=True) if lead else None


class DecisionView(BaseModel):
    """The case after the decision, with the interests declared in it at the meeting that
    decided (each before the decision)."""

    case_id: UUID
    panel: Panel
    status: CaseStatus
    lead_professional: LeadView | None
    listed_on: list[UUID]
    declarations: list[DeclarationView] = Field(
        default_factory=list,
        description="The interests declared in the case at the meeting that decided.",
    )

    @classmethod
    def of(cls, case: PanelCase, meeting_id: UUID | None = None) -> Self:
        return cls(
            case_id=case.id,
            panel=case.panel,
            status=case.status,
            lead_professional=LeadView.of(case.lead),
            listed_on=list(case.listings),
            declarations=DeclarationView.all_of(case.declarations_at(meeting_id))
            if meeting_id
            else [],
        )


class PackageView(BaseModel):
    """What the panel knows of a package; what it does not know is left out."""

    panel: Panel | None = None
    interventions: list[RequestedIntervention] | None = None
    meeting_id: UUID | None = None
    review_on: date | None = None
    failed: str | None = None
    ended: str | None = None
    last_review: ReviewDecision | None = None

    @model_serializer(mode="wrap")
    def _known(self, handler: SerializerFunctionWrapHandler) -> object:
        return {k: v for k, v in handler(self).items() if v is not None}

    @classmethod
    def of(cls, package: Package) -> PackageView:
        asked = package.requested
        return cls(
            panel=asked.panel if asked else None,
            interventions=list(asked.interventions) if asked else None,
            meeting_id=asked.meeting_id if asked else None,
            review_on=package.review_on,
            failed=package.failed,
            ended=package.ended,
            last_review=package.last_review,
        )


class CaseView(BaseModel):
    case_id: UUID
    panel: Panel
    district: District
    level_of_need: int
    status: CaseStatus
    lead_professional: LeadView | None
    listed_on: list[UUID]
    packages: dict[str, PackageView]
    joined_referrals: list[str]

    @classmethod
    def of(cls, case: PanelCase) -> Self:
        return cls(
            case_id=case.id,
            panel=case.panel,
            district=case.district,
            level_of_need=case.level_of_need,
            status=case.status,
            lead_professional=LeadView.of(case.lead),
            listed_on=list(case.listings),
            packages={str(k): PackageView.of(v) for k, v in case.packages.items()},
            joined_referrals=sorted(str(c) for c in case.joined),
        )


class LedCaseView(BaseModel):
    case_id: UUID
    professional_id: str
    district: District
    panel: Panel
    since: datetime
    status: str


class HistoryEntry(BaseModel):
    """One of the case's events: its name, when, and what it recorded."""

    model_config = ConfigDict(extra="allow")

    event: str
    at: str

    @classmethod
    def of(cls, e: Aggregate.Event) -> HistoryEntry:
        return cls.model_validate(
            {
                "event": type(e).__name__,
                "at": e.timestamp.isoformat(),
                **{k: v for k, v in vars(e).items() if k not in _ABOUT_EVERY_EVENT},
            }
        )


_ABOUT_EVERY_EVENT = ("originator_id", "originator_version", "timestamp", "originator_topic")


# --- plans ---


class MemberView(BaseModel):
    name: str
    organisation: str
    role: str


class FamilyMeetingView(BaseModel):
    held_on: date
    attended: list[str]
    consent_reconfirmed: bool
    summary: str | None  # None: erased


class ProgressView(BaseModel):
    status: Progress
    note: str | None  # None: erased
    recorded_on: date


class GoalView(BaseModel):
    need_id: str
    text: str | None  # None: erased
    progress: list[ProgressView]


class ActionView(BaseModel):
    goal_id: str
    text: str | None  # None: erased
    owner: str
    due_on: date
    intervention: str | None


class AgreementView(BaseModel):
    agreed_on: date
    review_on: date


class ReviewView(BaseModel):
    review_number: int
    reviewed_on: date
    outcomes: dict[str, Outcome]
    overall: Outcome


class PlanNotStarted(BaseModel):
    case_id: UUID
    started: Literal[False] = False


class PlanView(BaseModel):
    case_id: UUID
    started: Literal[True] = True
    team: dict[str, MemberView]
    meetings: list[FamilyMeetingView]
    needs: dict[str, str | None]  # a need's text None: erased
    goals: dict[str, GoalView]
    actions: dict[str, ActionView]
    agreed: AgreementView | None
    reviews: list[ReviewView]

    @staticmethod
    def of(plan: Plan | None, case_id: UUID) -> PlanView | PlanNotStarted:
        if plan is None:
            return PlanNotStarted(case_id=case_id)
        return PlanView(
            case_id=case_id,
            team={k: _view(MemberView, m) for k, m in plan.team.items()},
            meetings=[_view(FamilyMeetingView, m) for m in plan.meetings],
            needs=plan.needs,
            goals={k: _goal(g) for k, g in plan.goals.items()},
            actions={k: _view(ActionView, a) for k, a in plan.actions.items()},
            agreed=_view(AgreementView, plan.agreed) if plan.agreed else None,
            reviews=[_view(ReviewView, r) for r in plan.reviews],
        )


def _goal(goal: Goal) -> GoalView:
    return GoalView(
        need_id=goal.need_id,
        text=goal.text,
        progress=[_view(ProgressView, p) for p in goal.progress],
    )


V = TypeVar("V", bound=BaseModel)


def _view(
    kind: type[V], value: Member | FamilyMeeting | ProgressNote | Action | Agreement | PlanReview
) -> V:
    return kind.model_validate(value, from_attributes=True)
