"""The panel service's HTTP API for panel members and chairs, lead professionals and auditors
(OpenAPI at /docs). Module-level routers; each route is body -> command -> dispatch -> typed
view, or a query -> typed view. A decision's and a plan change's body picks its command by
table (`DECISIONS`, `PLAN_CHANGES`), fields passed across by name. `create_api` mounts the
routers over the runtime's shared HTTP behaviour (`maag.runtime.web.http`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import APIRouter, Body, Depends, FastAPI, Query
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from contracts.reference import District, Panel
from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Conflict, NotFound
from maag.runtime.web import http
from maag.runtime.web.auth import TokenVerifier
from services.panel.adapters import bodies
from services.panel.adapters.read_model import Agendas
from services.panel.adapters.views import (
    AgendaView,
    CaseView,
    DecisionView,
    DeclarationView,
    DueItemView,
    HistoryEntry,
    LedCaseView,
    MeetingView,
    MinutesView,
    PlanNotStarted,
    PlanView,
    ScheduledMeetingView,
    WorkItemView,
)
from services.panel.application.app import PanelApp
from services.panel.application.commands import (
    add_team_member,
    agree_action,
    agree_plan,
    assign_lead_professional,
    close_case,
    defer,
    escalate,
    record_family_meeting,
    record_need,
    record_progress,
    refer_to_social_care,
    request_package,
    review_package,
    review_plan,
    set_goal,
    step_down,
)
from services.panel.application.commands.circulate_agenda import CirculateAgenda
from services.panel.application.commands.confirm_attendance import ConfirmAttendance
from services.panel.application.commands.declare_interest import DeclareInterest
from services.panel.application.commands.expect_attendee import ExpectAttendee
from services.panel.application.commands.list_case import ListCase
from services.panel.application.commands.record_minutes import MinuteItem, RecordMinutes
from services.panel.application.commands.schedule_meeting import ScheduleMeeting
from services.panel.application.commands.send_apologies import SendApologies
from services.panel.application.decisions import Decision
from services.panel.application.plans import PlanChange
from services.panel.application.ports import ReadModel
from services.panel.application.queries import my_cases as led_by_caller
from services.panel.application.queries.case_history import case_history
from services.panel.application.queries.case_work import case_work
from services.panel.application.queries.meeting_agenda import meeting_agenda
from services.panel.application.queries.panel_work import panel_work
from services.panel.application.queries.read_case import read_case
from services.panel.application.queries.read_plan import read_plan
from services.panel.application.queries.upcoming_meetings import upcoming_meetings
from services.panel.domain.plan import PlanRuleBroken
from services.panel.domain.rules import NotAMember, PanelRuleBroken
from services.panel.domain.schedule import LOCAL, PanelRef

# Each kind of decision's body, and the command it asks for.
DECISIONS: dict[type[BaseModel], type[Decision]] = {
    bodies.AssignLeadProfessional: assign_lead_professional.AssignLeadProfessional,
    bodies.RequestPackage: request_package.RequestPackage,
    bodies.ReviewPackage: review_package.ReviewPackage,
    bodies.Escalate: escalate.Escalate,
    bodies.StepDown: step_down.StepDown,
    bodies.Defer: defer.Defer,
    bodies.Close: close_case.Close,
    bodies.ReferToSocialCare: refer_to_social_care.ReferToSocialCare,
}
# Each kind of change to a plan's body, and the command it asks for.
PLAN_CHANGES: dict[type[BaseModel], type[PlanChange]] = {
    bodies.AddMember: add_team_member.AddMember,
    bodies.RecordMeeting: record_family_meeting.RecordMeeting,
    bodies.RecordNeed: record_need.RecordNeed,
    bodies.SetGoal: set_goal.SetGoal,
    bodies.AgreeAction: agree_action.AgreeAction,
    bodies.RecordProgress: record_progress.RecordProgress,
    bodies.AgreePlan: agree_plan.AgreePlan,
    bodies.ReviewPlan: review_plan.ReviewPlan,
}


C = TypeVar("C", bound=Command)


def command_for(
    kinds: Mapping[type[BaseModel], type[C]], body: BaseModel, asked: http.Asking, **to: UUID
) -> C:
    """The command `body` asks for (found in `kinds` by its type), its fields passed across by
    name (a list as a tuple), aimed at `to` (the meeting or case of the path)."""
    given = {
        name: tuple(v) if isinstance(v := getattr(body, name), list) else v
        for name in type(body).model_fields
        if name != "kind"
    }
    return kinds[type(body)](
        **given,
        **to,
        **asked,
    )


App = Annotated[PanelApp, Depends(http.from_state("panel", PanelApp))]
ReadModelDep = Annotated[ReadModel, Depends(http.from_state("read_model", ReadModel))]

meetings = APIRouter(route_class=http.StrictRoute, tags=["meetings"])
decisions = APIRouter(route_class=http.StrictRoute, tags=["decisions"])
cases = APIRouter(route_class=http.StrictRoute, tags=["cases"])
plans = APIRouter(route_class=http.StrictRoute, tags=["plans"])


@meetings.post("/meetings", status_code=201, response_model=MeetingView)
def schedule(body: bodies.ScheduleRequest, app: App, asked: http.Asked) -> MeetingView:
    meeting = app.handle(
        ScheduleMeeting(
            ref=PanelRef(body.panel, body.district),
            starts_at=body.starts_at,
            **asked,
        )
    )
    return MeetingView.of(meeting, app)


@meetings.get(
    "/meetings",
    summary="This past week's meetings and those to come, soonest first, with their cases",
)
def list_meetings(
    caller: http.CallerDep,
    app: App,
    read_model: ReadModelDep,
    panel: Annotated[Panel | None, Query()] = None,
    district: Annotated[District | None, Query()] = None,
) -> list[ScheduledMeetingView]:
    found = upcoming_meetings(read_model, caller, panel, district, app.now())
    return [ScheduledMeetingView.model_validate(m, from_attributes=True) for m in found]


@meetings.get("/meetings/{meeting_id}/agenda", response_model=AgendaView)
def agenda(
    meeting_id: UUID, caller: http.CallerDep, app: App, read_model: ReadModelDep
) -> AgendaView:
    found = meeting_agenda(app, read_model, meeting_id, caller)
    return AgendaView.of_agenda(found.meeting, found.items, app, found.cases, found.minutes)


@meetings.post("/meetings/{meeting_id}/attendance", response_model=MeetingView)
def attend(
    meeting_id: UUID, body: bodies.AttendanceRequest, app: App, asked: http.Asked
) -> MeetingView:
    meeting = app.handle(
        ConfirmAttendance(
            meeting_id=meeting_id,
            name=body.name,
            **asked,
        )
    )
    return MeetingView.of(meeting, app)


@meetings.post(
    "/meetings/{meeting_id}/apologies",
    response_model=MeetingView,
    summary="Send the caller's own apologies for a meeting, before it or while it sits",
)
def apologise(
    meeting_id: UUID, body: bodies.ApologiesRequest, app: App, asked: http.Asked
) -> MeetingView:
    meeting = app.handle(SendApologies(meeting_id=meeting_id, name=body.name, **asked))
    return MeetingView.of(meeting, app)


@meetings.post(
    "/meetings/{meeting_id}/circulation",
    response_model=MeetingView,
    summary="Circulate the meeting's agenda to the panel's members, before its cut-off (a day "
    "before the meeting); again only once a case was listed or taken off since. Each member of "
    "the panel's distribution list is emailed a link to the meeting (`AgendaCirculated`)",
)
def circulate(meeting_id: UUID, app: App, asked: http.Asked) -> MeetingView:
    meeting = app.handle(CirculateAgenda(meeting_id=meeting_id, **asked))
    return MeetingView.of(meeting, app)


@meetings.post(
    "/meetings/{meeting_id}/minutes",
    response_model=MinutesView,
    summary="The chair minutes the meeting while it sits: one agenda item's discussion and "
    "actions (`case_id`), or the general minutes; each replaces what was recorded before",
)
def minute(
    meeting_id: UUID, body: bodies.MinutesRequest, app: App, asked: http.Asked
) -> MinutesView:
    said = RecordMinutes(
        meeting_id=meeting_id, discussion=body.discussion, actions=body.actions, **asked
    )
    if body.case_id is None:
        minuted = app.handle(said)
    else:
        minuted = app.handle(MinuteItem(**vars(said), case_id=body.case_id))
    return MinutesView.model_validate(minuted.minutes, from_attributes=True)


@meetings.post(
    "/meetings/{meeting_id}/declarations",
    summary="Declare the caller's interest in a case listed at the meeting, before the "
    "meeting decides on it, and whether they withdraw from that decision",
)
def declare(
    meeting_id: UUID, body: bodies.DeclarationRequest, app: App, asked: http.Asked
) -> list[DeclarationView]:
    case = app.handle(
        DeclareInterest(
            meeting_id=meeting_id,
            case_id=body.case_id,
            name=body.name,
            interest=body.interest,
            withdraws=body.withdraws,
            **asked,
        )
    )
    return DeclarationView.all_of(case.declarations_at(meeting_id))


@meetings.post(
    "/meetings/{meeting_id}/expected-attendees",
    response_model=MeetingView,
    summary="List someone the coordinator expects (never counted toward quorum)",
)
def expect(
    meeting_id: UUID, body: bodies.ExpectedAttendeeRequest, app: App, asked: http.Asked
) -> MeetingView:
    meeting = app.handle(
        ExpectAttendee(
            meeting_id=meeting_id,
            person_id=body.person_id,
            name=body.name,
            agency=body.agency,
            **asked,
        )
    )
    return MeetingView.of(meeting, app)


@meetings.post(
    "/meetings/{meeting_id}/agenda",
    response_model=MeetingView,
    summary="List a case the panel holds on this meeting, before its window closes (an urgent "
    "case, a review brought forward): it leaves the panel's later meetings for this one",
)
def list_on_agenda(
    meeting_id: UUID, body: bodies.ListCaseRequest, app: App, asked: http.Asked
) -> MeetingView:
    meeting = app.handle(
        ListCase(meeting_id=meeting_id, case_id=body.case_id, reason=body.reason, **asked)
    )
    return MeetingView.of(meeting, app)


@decisions.post(
    "/meetings/{meeting_id}/decisions",
    summary="Record a decision on a listed case (the meeting must be quorate; the same "
    "Idempotency-Key again records nothing more)",
)
def decide(
    meeting_id: UUID,
    decision: Annotated[bodies.Decision, Body()],
    app: App,
    asked: http.Asked,
) -> DecisionView:
    case = app.handle(command_for(DECISIONS, decision, asked, meeting_id=meeting_id))
    return DecisionView.of(case, meeting_id)


@meetings.get(
    "/my/work",
    summary="What waits for the caller at their panels' meetings: one sitting now that is not "
    "quorate or has cases to decide, one to come with cases listed, one that ended with cases "
    "undecided (overdue); soonest due first",
)
def my_work(caller: http.CallerDep, app: App, read_model: ReadModelDep) -> list[WorkItemView]:
    found = panel_work(app, read_model, caller, app.now())
    return [WorkItemView.model_validate(i, from_attributes=True) for i in found]


@cases.get("/my/cases", summary="The cases the caller leads, as lead professional (open first)")
def my_cases(caller: http.CallerDep, app: App, read_model: ReadModelDep) -> list[LedCaseView]:
    rows = led_by_caller.my_cases(app, read_model, caller)
    return [LedCaseView.model_validate(r, from_attributes=True) for r in rows]


@cases.get(
    "/my/cases/due",
    summary="What is due on the cases the caller leads, as lead professional: plan actions "
    "whose goal is not met, the plan's review, package reviews; within four weeks or overdue",
)
def my_cases_due(caller: http.CallerDep, app: App, read_model: ReadModelDep) -> list[DueItemView]:
    found = case_work(app, read_model, caller, app.now().astimezone(LOCAL).date())
    return [DueItemView.model_validate(i, from_attributes=True) for i in found]


@cases.get("/cases/{case_id}", summary="Where a case stands with the panels")
def case(case_id: UUID, caller: http.CallerDep, app: App) -> CaseView:
    return CaseView.of(read_case(app, case_id, caller))


@cases.get("/cases/{case_id}/history", summary="Every panel event of a case")
def history(case_id: UUID, caller: http.CallerDep, app: App) -> list[HistoryEntry]:
    return [HistoryEntry.of(e) for e in case_history(app, case_id, caller)]


@plans.get(
    "/cases/{case_id}/plan",
    summary="The case's Team Around the Child and integrated plan (the read is recorded)",
)
def plan(case_id: UUID, caller: http.CallerDep, app: App) -> PlanView | PlanNotStarted:
    return PlanView.of(read_plan(app, case_id, caller), case_id)


@plans.post(
    "/cases/{case_id}/plan",
    summary="The lead professional changes the plan: the team, a meeting with the family, "
    "a need, a goal, an action (owner and due date), progress, the plan agreed, a review",
)
def change_plan(
    case_id: UUID,
    body: Annotated[bodies.PlanChange, Body()],
    app: App,
    asked: http.Asked,
) -> PlanView | PlanNotStarted:
    app.handle(command_for(PLAN_CHANGES, body, asked, case_id=case_id))
    return PlanView.of(read_plan(app, case_id, asked["caller"]), case_id)


ROUTERS = (meetings, decisions, cases, plans)
ERRORS: dict[type[Exception], int] = {
    NotFound: 404,
    Conflict: 409,
    PanelRuleBroken: 409,
    NotAMember: 403,
    PlanRuleBroken: 422,
}


def create_api(
    app: PanelApp, verifier: TokenVerifier, engine: Engine, ready: Callable[[], dict[str, bool]]
) -> FastAPI:
    api = FastAPI(
        title="MAAG panel service",
        version="1.0.0",
        description=(
            "Panel coordinators schedule meetings, record attendance and decisions, and read "
            "agendas and case histories. `Authorization: Bearer <token>` on every call; writes "
            "need the panel-member role, reads allow auditors too."
        ),
    )
    http.install(api, verifier, ERRORS)
    http.health(api, ready)
    api.state.panel = app
    api.state.read_model = Agendas(engine)
    http.mount(api, *ROUTERS)
    return api
