"""The panel service's HTTP API for panel coordinators (OpenAPI at /docs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Body, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.engine import Engine

from contracts.limits import ID_CHARS
from contracts.reference import Agency, District, Panel, Role
from contracts.strict import Timestamp
from maag.runtime.evidence.reads import record_reads
from maag.runtime.store.unit_of_work import Conflict, NotFound
from maag.runtime.web import http
from maag.runtime.web.auth import TokenVerifier
from services.panel.adapters import read_model
from services.panel.application.access import SITTING, sits_on
from services.panel.application.app import PanelApp
from services.panel.application.commands import (
    ChangePlan,
    ConfirmAttendance,
    Decide,
    ExpectAttendee,
    ScheduleMeeting,
)
from services.panel.application.decisions import Decision
from services.panel.application.plans import PlanChange
from services.panel.domain.meeting import Meeting
from services.panel.domain.plan import PlanRuleBroken
from services.panel.domain.rules import NotAMember, PanelRuleBroken
from services.panel.domain.schedule import PanelRef

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


class MeetingView(BaseModel):
    meeting_id: UUID
    panel: Panel
    district: District | None
    starts_at: datetime
    attendance: list[dict[str, str]]
    expected: list[dict[str, str]] = Field(
        description="Who the coordinator expects; only attendance counts toward quorum."
    )
    quorate: bool
    missing_for_quorum: list[str]


class AgendaItem(BaseModel):
    case_id: UUID
    reason: str
    status: str
    decisions: str
    listed_at: datetime


class AgendaView(MeetingView):
    agenda: list[AgendaItem]


def _meeting_view(meeting: Meeting, quorum: int) -> dict[str, Any]:
    missing = meeting.missing_for_quorum(quorum)
    return {
        "meeting_id": meeting.id,
        "panel": meeting.panel,
        "district": meeting.district,
        "starts_at": meeting.starts_at,
        "attendance": [{"person_id": p, **a} for p, a in meeting.attendance.items()],
        "expected": [{"person_id": p, **a} for p, a in meeting.expected.items()],
        "quorate": not missing,
        "missing_for_quorum": missing,
    }


def _district(meeting: dict[str, Any]) -> District | None:
    return District(meeting["district"]) if meeting.get("district") else None


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
    http.install(
        api,
        verifier,
        {
            NotFound: 404,
            Conflict: 409,
            PanelRuleBroken: 409,
            NotAMember: 403,
            PlanRuleBroken: 422,
        },
    )
    http.health(api, ready)
    quorum = app.quorum_other_agencies

    @api.post("/meetings", status_code=201, response_model=MeetingView, tags=["meetings"])
    def schedule(
        body: ScheduleRequest,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> dict[str, Any]:
        meeting = app.handle(
            ScheduleMeeting(
                ref=PanelRef(body.panel, body.district),
                starts_at=body.starts_at,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        return _meeting_view(meeting, quorum)

    @api.get("/meetings", tags=["meetings"], summary="Upcoming meetings, soonest first")
    def list_meetings(
        caller: http.CallerDep,
        panel: Annotated[Panel | None, Query()] = None,
        district: Annotated[District | None, Query()] = None,
    ) -> list[dict[str, Any]]:
        caller.require(*SITTING, Role.AUDITOR, to="read meetings")
        found = read_model.upcoming(
            engine,
            panel.value if panel else None,
            district.value if district else None,
            datetime.now(UTC),
        )
        if caller.has(Role.AUDITOR):
            return found
        return [m for m in found if sits_on(caller, PanelRef(Panel(m["panel"]), _district(m)))]

    @api.get("/meetings/{meeting_id}/agenda", response_model=AgendaView, tags=["meetings"])
    def agenda(meeting_id: UUID, caller: http.CallerDep) -> dict[str, Any]:
        meeting = app.meeting(meeting_id, caller)
        items = read_model.agenda_of(engine, str(meeting_id))
        record_reads(app, [UUID(str(i["case_id"])) for i in items], caller)
        return {**_meeting_view(meeting, quorum), "agenda": items}

    @api.post("/meetings/{meeting_id}/attendance", response_model=MeetingView, tags=["meetings"])
    def attend(
        meeting_id: UUID,
        body: AttendanceRequest,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> dict[str, Any]:
        meeting = app.handle(
            ConfirmAttendance(
                meeting_id=meeting_id,
                name=body.name,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        return _meeting_view(meeting, quorum)

    @api.post(
        "/meetings/{meeting_id}/expected-attendees",
        response_model=MeetingView,
        tags=["meetings"],
        summary="List someone the coordinator expects (never counted toward quorum)",
    )
    def expect(
        meeting_id: UUID,
        body: ExpectedAttendeeRequest,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> dict[str, Any]:
        meeting = app.handle(
            ExpectAttendee(
                meeting_id=meeting_id,
                person_id=body.person_id,
                name=body.name,
                agency=body.agency,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        return _meeting_view(meeting, quorum)

    @api.post(
        "/meetings/{meeting_id}/decisions",
        tags=["decisions"],
        summary="Record a decision on a listed case (the meeting must be quorate; the same "
        "Idempotency-Key again records nothing more)",
    )
    def decide(
        meeting_id: UUID,
        decision: Annotated[Decision, Body()],
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> dict[str, Any]:
        case = app.handle(
            Decide(
                meeting_id=meeting_id,
                decision=decision,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        return {
            "case_id": case.id,
            "panel": case.panel,
            "status": case.status,
            "lead_professional": case.lead,
            "listed_on": list(case.listings),
        }

    @api.get(
        "/my/cases",
        tags=["cases"],
        summary="The cases the caller leads, as lead professional (open first)",
    )
    def my_cases(caller: http.CallerDep) -> list[dict[str, Any]]:
        caller.require(Role.LEAD_PROFESSIONAL, to="list the cases they lead")
        rows = read_model.led_by(engine, caller.user_id)
        record_reads(app, [UUID(str(r["case_id"])) for r in rows], caller)
        return rows

    @api.get("/cases/{case_id}", tags=["cases"], summary="Where a case stands with the panels")
    def case(case_id: UUID, caller: http.CallerDep) -> dict[str, Any]:
        found = app.case(case_id, caller)
        return {
            "case_id": found.id,
            "panel": found.panel,
            "district": found.district,
            "level_of_need": found.level_of_need,
            "status": found.status,
            "lead_professional": found.lead,
            "listed_on": list(found.listings),
            "packages": {str(k): v for k, v in found.packages.items()},
            "joined_referrals": sorted(str(c) for c in found.joined),
        }

    @api.get(
        "/cases/{case_id}/plan",
        tags=["plans"],
        summary="The case's Team Around the Child and integrated plan (the read is recorded)",
    )
    def plan(case_id: UUID, caller: http.CallerDep) -> dict[str, Any]:
        found = app.plan(case_id, caller)
        return found

    @api.post(
        "/cases/{case_id}/plan",
        tags=["plans"],
        summary="The lead professional changes the plan: the team, a meeting with the family, "
        "a need, a goal, an action (owner and due date), progress, the plan agreed, a review",
    )
    def change_plan(
        case_id: UUID,
        body: Annotated[PlanChange, Body()],
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> dict[str, Any]:
        app.handle(
            ChangePlan(
                case_id=case_id,
                change=body,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        return app.plan(case_id, caller)

    @api.get("/cases/{case_id}/history", tags=["cases"], summary="Every panel event of a case")
    def history(case_id: UUID, caller: http.CallerDep) -> list[dict[str, Any]]:
        events = app.history(case_id, caller)
        return events

    return api
