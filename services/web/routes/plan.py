"""The Team Around the Child and its integrated plan, on screens: the plan's page (the team,
the meetings with the family, needs -> goals -> actions with their owners, due dates and
progress, the agreement and the reviews, in words), and one page for each kind of change the
lead professional makes, each sent to the panel service as its plan change.

Nobody types an id or an email: a team member is chosen from the directory of people (and
looked up there again when the form is sent), an action's owner from the team, a goal from
the plan's needs; the plan's own references for its needs, goals and actions ("n1", "g2",
"a3": what the lead's home page lists as due) are given by the form. The panel service
decides again who may read and change the plan (its current lead professional while the
case is open; the panel and auditors read it)."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Required, TypedDict

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from contracts.reference import Role
from services.web.backend import Invalid, NotAllowed, NotFound, Refused
from services.web.directory import Person
from services.web.forms import FormErrors, request_key
from services.web.pages import (
    PANEL_PEOPLE,
    CheckedForm,
    Web,
    WebApp,
    log,
    optional,
    signed_in,
    today,
)
from services.web.sessions import SignedIn

router = APIRouter()
Lead = Annotated[SignedIn, Depends(signed_in(Role.LEAD_PROFESSIONAL.value))]
ReaderOfPlans = Annotated[
    SignedIn,
    Depends(signed_in(Role.LEAD_PROFESSIONAL.value, *PANEL_PEOPLE, Role.AUDITOR.value)),
]

# Whom a lead may put on the team around the child, by their role in the directory: the
# practitioners of the agencies and the commissioned providers' staff (the plan's own rule is
# only that each acts for one of the county's organisations: the service checks it again).
TEAM_ROLES = (Role.LEAD_PROFESSIONAL.value, Role.REFERRER.value, Role.PROVIDER.value)
FAMILY = "family"  # who may come to a meeting with the family besides the team
PROGRESS_WORDS = {
    "not-started": "Not started",
    "on-track": "On track",
    "off-track": "Off track",
    "met": "Met",
}
OUTCOME_WORDS = {"met": "Met", "partly": "Partly met", "not-met": "Not met"}
# Each form field as its label says it (a service's refusal of it is said with its label).
LABELS = {
    "member_id": "Who joins the team",
    "role": "Their role in the team",
    "held_on": "When the meeting was held",
    "attended": "Who came",
    "consent_reconfirmed": "Consent reconfirmed",
    "summary": "What was agreed",
    "text": "What it says",
    "need_id": "The need",
    "goal_id": "The goal",
    "owner": "Who owns it",
    "due_on": "When it is due",
    "intervention": "Part of the package's service",
    "status": "How it is going",
    "note": "What has happened",
    "recorded_on": "As of",
    "agreed_on": "When it was agreed",
    "review_on": "When it will be reviewed",
    "reviewed_on": "When it was reviewed",
}
# The date fields (a GOV.UK date input each: <name>-day, -month, -year).
DATES = frozenset(("held_on", "due_on", "recorded_on", "agreed_on", "review_on", "reviewed_on"))

Body = dict[str, object]


# --- what the pages read of the panel service's answers ---


class Member(TypedDict):
    name: str
    organisation: str
    role: str


class FamilyMeeting(TypedDict):
    held_on: str
    attended: list[str]
    consent_reconfirmed: bool
    summary: str | None  # None: erased


class ProgressNote(TypedDict):
    status: str
    note: str | None
    recorded_on: str


class Goal(TypedDict):
    need_id: str
    text: str | None
    progress: list[ProgressNote]


class Action(TypedDict):
    goal_id: str
    text: str | None
    owner: str
    due_on: str
    intervention: str | None


class Agreement(TypedDict):
    agreed_on: str
    review_on: str


class Review(TypedDict):
    review_number: int
    reviewed_on: str
    outcomes: dict[str, str]
    overall: str


class Plan(TypedDict, total=False):
    """The panel service's plan (or, `started` false, that there is none yet)."""

    case_id: Required[str]
    started: Required[bool]
    team: dict[str, Member]
    meetings: list[FamilyMeeting]
    needs: dict[str, str | None]
    goals: dict[str, Goal]
    actions: dict[str, Action]
    agreed: Agreement | None
    reviews: list[Review]


class Line(TypedDict):
    service: str


class Package(TypedDict, total=False):
    interventions: list[Line]
    ended: str | None


class LeadProfessional(TypedDict):
    professional_id: str
    name: str


class Case(TypedDict, total=False):
    case_id: Required[str]
    status: str
    district: str
    panel: str
    lead_professional: LeadProfessional | None
    packages: dict[str, Package]


# --- errors against the forms' fields ---


@dataclass
class PlanErrors(FormErrors):
    """A plan form's errors; the summary links a date's error to its day box."""

    status: int = 400

    def summary(self) -> list[dict[str, str]]:
        items = [
            {"text": m, "href": f"#{name}-day" if name in DATES else f"#{name}"}
            for name, m in self.by_field.items()
        ]
        return items + [{"text": m} for m in self.other]


# --- the plan as its page shows it ---


@dataclass(frozen=True)
class ActionRow:
    ref: str
    text: str | None
    owner: str  # their name (their id if they are not in the team)
    due_on: str
    intervention: str | None
    state: str  # overdue | to-do | met (its goal met)


@dataclass(frozen=True)
class GoalRow:
    ref: str
    text: str | None
    status: str  # the latest progress, in words
    met: bool
    outcome: str | None  # at the latest review, in words
    progress: list[ProgressNote]
    actions: list[ActionRow]


@dataclass(frozen=True)
class NeedRow:
    ref: str
    text: str | None
    goals: list[GoalRow]


@dataclass(frozen=True)
class PlanPage:
    needs: list[NeedRow]
    names: dict[str, str]  # team member id -> name (and "family")
    review_due: str | None  # the plan's review, until it is held
    review_overdue: bool
    overdue: int  # actions past their date whose goal is not met


def met_goals(plan: Plan) -> set[str]:
    """The goals met: their latest progress says so, or the latest review did (as the panel
    service clears an action from the lead's list of what is due)."""
    reviews = plan.get("reviews") or []
    latest = reviews[-1]["outcomes"] if reviews else {}
    return {
        goal_id
        for goal_id, goal in (plan.get("goals") or {}).items()
        if (goal["progress"] and goal["progress"][-1]["status"] == "met")
        or latest.get(goal_id) == "met"
    }


def plan_page(plan: Plan, today: date) -> PlanPage:
    team = plan.get("team") or {}
    names = {member_id: m["name"] for member_id, m in team.items()} | {FAMILY: "The family"}
    met = met_goals(plan)
    reviews = plan.get("reviews") or []
    latest = reviews[-1]["outcomes"] if reviews else {}
    actions = sorted((plan.get("actions") or {}).items(), key=lambda a: (a[1]["due_on"], a[0]))
    goals = plan.get("goals") or {}

    def state(action: Action) -> str:
        if action["goal_id"] in met:
            return "met"
        return "overdue" if date.fromisoformat(action["due_on"]) < today else "to-do"

    def goal_row(goal_id: str, goal: Goal) -> GoalRow:
        progress = goal["progress"]
        return GoalRow(
            ref=goal_id,
            text=goal["text"],
            status=PROGRESS_WORDS.get(progress[-1]["status"], "") if progress else "Not started",
            met=goal_id in met,
            outcome=OUTCOME_WORDS.get(latest.get(goal_id, "")),
            progress=list(progress),
            actions=[
                ActionRow(
                    ref=action_id,
                    text=a["text"],
                    owner=names.get(a["owner"], a["owner"]),
                    due_on=a["due_on"],
                    intervention=a["intervention"],
                    state=state(a),
                )
                for action_id, a in actions
                if a["goal_id"] == goal_id
            ],
        )

    needs = [
        NeedRow(
            ref=need_id,
            text=text,
            goals=[goal_row(g, goal) for g, goal in goals.items() if goal["need_id"] == need_id],
        )
        for need_id, text in (plan.get("needs") or {}).items()
    ]
    agreed = plan.get("agreed")
    review_due = None
    if agreed and not any(r["reviewed_on"] >= agreed["agreed_on"] for r in reviews):
        review_due = agreed["review_on"]
    return PlanPage(
        needs=needs,
        names=names,
        review_due=review_due,
        review_overdue=review_due is not None and date.fromisoformat(review_due) < today,
        overdue=sum(1 for n in needs for g in n.goals for a in g.actions if a.state == "overdue"),
    )


# --- each kind of change: its page, and the body its form sends ---

Reader = Callable[[Web, FormData, date], Awaitable[tuple[Body, PlanErrors]]]


@dataclass(frozen=True)
class Change:
    heading: str
    button: str
    section: str  # where on the plan's page it shows
    read: Reader
    today: tuple[str, ...] = ()  # date fields that start at today
    labels: Mapping[str, str] = field(default_factory=dict)  # the API's field -> the form's
    # the plan's own reference this change gives ("n": n1, n2, ...), and whose it is
    prefix: str = ""
    collection: str = ""


def _text(form: Mapping[str, object], name: str) -> str:
    return str(form.get(name, "")).strip()


def _date(form: Mapping[str, object], name: str) -> date | None:
    day, month, year = (_text(form, f"{name}-{part}") for part in ("day", "month", "year"))
    if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4):
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _a_date(
    form: Mapping[str, object],
    name: str,
    what: str,
    errors: PlanErrors,
    not_after: date | None = None,
) -> str:
    """The date typed in `name`'s three boxes, as the API takes it ("" when it is not one)."""
    found = _date(form, name)
    if found is None:
        errors.add(name, f"Enter {what} as a real date, for example 27 3 2027")
        return ""
    if not_after is not None and found > not_after:
        errors.add(name, f"{what[0].upper()}{what[1:]} must be today or in the past")
    return found.isoformat()


def _required(form: Mapping[str, object], name: str, message: str, errors: PlanErrors) -> str:
    value = _text(form, name)
    if not value:
        errors.add(name, message)
    return value


async def find_team_member(web: Web, user_id: str) -> Person | None:
    """`user_id` in the directory, in a role whose people may join a team."""
    for role in TEAM_ROLES:
        if user_id and (found := await web.directory.find(user_id, role=role)) is not None:
            return found
    return None


async def _member(web: Web, form: FormData, today: date) -> tuple[Body, PlanErrors]:
    errors = PlanErrors()
    chosen = _text(form, "member_id")
    person = await find_team_member(web, chosen) if chosen else None
    if not chosen:
        errors.add("member_id", "Choose who joins the team")
    elif person is None:
        errors.add(
            "member_id",
            "Choose someone from the list: only practitioners and providers' staff in the "
            "directory may join the team",
        )
    role = _required(form, "role", "Enter their role in the team, for example school nurse", errors)
    body: Body = {
        "kind": "add-member",
        "member_id": person.user_id if person else chosen,
        "name": person.name if person else "",
        "organisation": person.agency if person else "",
        "role": role,
    }
    return body, errors


async def _meeting(web: Web, form: FormData, today: date) -> tuple[Body, PlanErrors]:
    errors = PlanErrors()
    held_on = _a_date(form, "held_on", "the date of the meeting", errors, today)
    attended = [str(a) for a in form.getlist("attended") if str(a)]
    if not attended:
        errors.add("attended", "Choose who came to the meeting")
    consent = _text(form, "consent_reconfirmed")
    if consent not in ("yes", "no"):
        errors.add("consent_reconfirmed", "Say whether the family reconfirmed their consent")
    body: Body = {
        "kind": "record-meeting",
        "held_on": held_on,
        "attended": attended,
        "consent_reconfirmed": consent == "yes",
        "summary": _text(form, "summary"),
    }
    return body, errors


async def _need(web: Web, form: FormData, today: date) -> tuple[Body, PlanErrors]:
    errors = PlanErrors()
    text = _required(form, "text", "Enter the need", errors)
    return {"kind": "record-need", "need_id": _text(form, "need_id"), "text": text}, errors


async def _goal(web: Web, form: FormData, today: date) -> tuple[Body, PlanErrors]:
    errors = PlanErrors()
    need_id = _required(form, "need_id", "Choose the need this goal meets", errors)
    text = _required(form, "text", "Enter the goal", errors)
    body: Body = {
        "kind": "set-goal",
        "goal_id": _text(form, "goal_id"),
        "need_id": need_id,
        "text": text,
    }
    return body, errors


async def _action(web: Web, form: FormData, today: date) -> tuple[Body, PlanErrors]:
    errors = PlanErrors()
    goal_id = _required(form, "goal_id", "Choose the goal this action works towards", errors)
    text = _required(form, "text", "Enter the action", errors)
    owner = _required(form, "owner", "Choose who in the team owns the action", errors)
    due_on = _a_date(form, "due_on", "the date it is due", errors)
    body: Body = {
        "kind": "agree-action",
        "action_id": _text(form, "action_id"),
        "goal_id": goal_id,
        "text": text,
        "owner": owner,
        "due_on": due_on,
    }
    if intervention := _text(form, "intervention"):
        body["intervention"] = intervention
    return body, errors


async def _progress(web: Web, form: FormData, today: date) -> tuple[Body, PlanErrors]:
    errors = PlanErrors()
    goal_id = _required(form, "goal_id", "Choose the goal", errors)
    status = _text(form, "status")
    if status not in PROGRESS_WORDS:
        errors.add("status", "Choose how the goal is going")
    recorded_on = _a_date(form, "recorded_on", "the date of this progress", errors, today)
    body: Body = {
        "kind": "record-progress",
        "goal_id": goal_id,
        "status": status,
        "note": _text(form, "note"),
        "recorded_on": recorded_on,
    }
    return body, errors


async def _agreement(web: Web, form: FormData, today: date) -> tuple[Body, PlanErrors]:
    errors = PlanErrors()
    agreed_on = _a_date(form, "agreed_on", "the date the plan was agreed", errors, today)
    review_on = _a_date(form, "review_on", "the date of the plan's review", errors)
    if agreed_on and review_on and review_on < agreed_on:
        errors.add("review_on", "The plan's review must be on or after the day it is agreed")
    return {"kind": "agree-plan", "agreed_on": agreed_on, "review_on": review_on}, errors


async def _review(web: Web, form: FormData, today: date) -> tuple[Body, PlanErrors]:
    errors = PlanErrors()
    reviewed_on = _a_date(form, "reviewed_on", "the date of the review", errors, today)
    outcomes = []
    for n, goal_id in enumerate(str(g) for g in form.getlist("goal")):
        outcome = _text(form, f"outcome-{goal_id}")
        if outcome not in OUTCOME_WORDS:
            errors.add(f"outcome-{goal_id}", f"Choose how goal {n + 1} went")
        outcomes.append({"goal_id": goal_id, "outcome": outcome})
    if not outcomes:
        errors.other.append("The plan has no goal to review")
    return {"kind": "review-plan", "reviewed_on": reviewed_on, "outcomes": outcomes}, errors


CHANGES: dict[str, Change] = {
    "team": Change(
        "Add someone to the team around the child",
        "Add to the team",
        "team",
        _member,
        labels={"name": "member_id", "organisation": "member_id"},
    ),
    "meeting": Change(
        "Record a meeting with the family",
        "Record the meeting",
        "meetings",
        _meeting,
        today=("held_on",),
    ),
    "need": Change(
        "Record a need", "Record the need", "needs", _need, prefix="n", collection="needs"
    ),
    "goal": Change("Set a goal", "Set the goal", "needs", _goal, prefix="g", collection="goals"),
    "action": Change(
        "Agree an action", "Agree the action", "needs", _action, prefix="a", collection="actions"
    ),
    "progress": Change(
        "Record progress towards a goal",
        "Record progress",
        "needs",
        _progress,
        today=("recorded_on",),
    ),
    "agreement": Change(
        "Agree the plan", "Agree the plan", "agreement", _agreement, today=("agreed_on",)
    ),
    "review": Change(
        "Review the plan",
        "Record the review",
        "reviews",
        _review,
        today=("reviewed_on",),
        labels={"outcomes": ""},
    ),
}


def next_ref(prefix: str, taken: Iterable[str]) -> str:
    """The plan's next reference of its kind: n1, n2, ... (after the highest given)."""
    numbers = [int(m.group(1)) for t in taken if (m := re.fullmatch(rf"{prefix}(\d+)", t))]
    return f"{prefix}{max(numbers, default=0) + 1}"


def refusal(
    errors: list[dict[str, str]], detail: str, change: Change, form_fields: set[str]
) -> PlanErrors:
    """The panel service's 422 against the form's fields: each error's field (the body's
    field, or the "field: reason" a plan rule names), else in the summary only."""
    found = PlanErrors()
    reasons = [(str(e.get("field", "")), str(e.get("reason", ""))) for e in errors] or [
        ("", detail)
    ]
    for where, reason in reasons:
        reason = reason.removeprefix("Value error, ")
        named = re.match(r"^([a-z_]+): (.*)$", reason, re.DOTALL)
        parts = [p for p in where.split(".") if p]
        if named:
            parts.append(named.group(1))
            reason = named.group(2)
        name = next(
            (
                change.labels.get(p, p)
                for p in reversed(parts)
                if change.labels.get(p, p) in form_fields
            ),
            None,
        )
        if name:
            found.add(name, f"{LABELS.get(name, name)}: {reason}")
        else:
            found.other.append(reason[:1].upper() + reason[1:] if reason else detail)
    return found


# The plan's fields a change gives a reference to, and what of them it sends.
KEPT = {
    "record-need": ("needs", "need_id", ("text",)),
    "set-goal": ("goals", "goal_id", ("need_id", "text")),
    "agree-action": ("actions", "action_id", ("goal_id", "text", "owner", "due_on")),
}


def refs(plan: Plan, collection: str) -> dict[str, Any]:
    """The plan's needs, goals or actions, by their reference."""
    found: dict[str, Any] = {
        "needs": plan.get("needs"),
        "goals": plan.get("goals"),
        "actions": plan.get("actions"),
    }
    return found.get(collection) or {}


def taken_by_another(body: Mapping[str, object], plan: Plan) -> bool:
    """Whether the plan's reference this change gave was taken by another change at the same
    time (a second tab): the service keeps the first and records nothing of this one."""
    kept = KEPT.get(str(body["kind"]))
    if kept is None:
        return False
    collection, ref_field, compared = kept
    held: Any = refs(plan, collection).get(str(body[ref_field]))
    if held is None:
        return False
    if isinstance(held, str):  # a need: its text
        held = {"text": held}
    return any(held.get(name) is not None and held.get(name) != body[name] for name in compared)


# --- the pages ---


async def _about(web: Web, who: SignedIn, case_id: uuid.UUID) -> tuple[Plan, Case, Any]:
    """The plan, the case (where it is held, its lead, its packages) and, if this person may
    read it, the referral (its CAF reference): at once."""
    call = web.backend.call
    plan, case, referral = await asyncio.gather(
        call(who, "GET", "panel", f"/cases/{case_id}/plan"),
        call(who, "GET", "panel", f"/cases/{case_id}"),
        optional(call(who, "GET", "referral", f"/referrals/{case_id}")),
    )
    return plan, case, referral


def may_change(who: SignedIn, case: Case) -> bool:
    """Whether to offer the forms: to the case's lead professional while it is open (the
    service decides again)."""
    lead = case.get("lead_professional")
    return (
        who.has(Role.LEAD_PROFESSIONAL.value)
        and lead is not None
        and lead.get("professional_id") == who.user_id
        and case.get("status") == "active"
    )


async def team_choices(web: Web, plan: Plan) -> list[dict[str, str]]:
    """The directory's people who may join the team and are not in it yet, by name."""
    found = await asyncio.gather(*(web.directory.people(role=r) for r in TEAM_ROLES))
    team = plan.get("team") or {}
    people: dict[str, Person] = {}
    for p in (p for role in found for p in role):
        if p.user_id not in team:
            people.setdefault(p.user_id, p)
    return [
        {"value": p.user_id, "text": p.label}
        for p in sorted(people.values(), key=lambda p: (p.name, p.user_id))
    ]


def _services(case: Case) -> list[str]:
    """The services of the case's packages still running (an action may be part of one)."""
    return sorted(
        {
            line["service"]
            for p in (case.get("packages") or {}).values()
            if not p.get("ended")
            for line in p.get("interventions") or []
        }
    )


@router.get("/cases/{case_id}/plan", response_class=HTMLResponse)
async def plan(request: Request, web: WebApp, who: ReaderOfPlans, case_id: uuid.UUID) -> Response:
    found, case, referral = await _about(web, who, case_id)
    changing = may_change(who, case)
    starting = changing and not found["started"]
    return web.page(
        request,
        "plan.html",
        who,
        plan=found,
        case=case,
        referral=referral,
        view=plan_page(found, today()) if found["started"] else None,
        may_change=changing,
        people=await team_choices(web, found) if starting else [],
        answers={"member_id": who.user_id, "role": "Lead professional"},
        progress_words=PROGRESS_WORDS,
        outcome_words=OUTCOME_WORDS,
        errors=PlanErrors(),
    )


@router.get("/cases/{case_id}/plan/{change}", response_class=HTMLResponse)
async def change_form(
    request: Request, web: WebApp, who: Lead, case_id: uuid.UUID, change: str
) -> Response:
    if change not in CHANGES:
        raise NotFound(change)
    now = today()
    answers: dict[str, str] = {}
    for name in CHANGES[change].today:
        answers |= {f"{name}-day": str(now.day), f"{name}-month": str(now.month)}
        answers[f"{name}-year"] = str(now.year)
    # a link may choose the need or the goal (from the plan's page)
    for name in ("need_id", "goal_id"):
        if name in request.query_params:
            answers[name] = request.query_params[name]
    return await change_page(
        web, request, who, case_id, change, answers, [], PlanErrors(), 200, fresh=True
    )


@router.post("/cases/{case_id}/plan/{change}")
async def change_plan(
    request: Request,
    web: WebApp,
    who: Lead,
    form: CheckedForm,
    case_id: uuid.UUID,
    change: str,
) -> Response:
    """The change sent with the form's key (a second click records nothing more), then back
    to the plan; or the form again, its answers kept, with what was refused by field."""
    kind = CHANGES.get(change)
    if kind is None:
        raise NotFound(change)
    body, errors = await kind.read(web, form, today())
    if not errors:
        try:
            after: Plan = await web.backend.call(
                who,
                "POST",
                "panel",
                f"/cases/{case_id}/plan",
                json=body,
                idempotency_key=request_key(form),
            )
        except Invalid as e:
            errors = refusal(e.errors, str(e), kind, set(form.keys()) | DATES)
        except Refused as e:
            errors = PlanErrors(other=[str(e)], status=409)
        else:
            if not taken_by_another(body, after):
                log.info("web.plan_changed", case_id=str(case_id), change=body["kind"])
                return RedirectResponse(f"/cases/{case_id}/plan#{kind.section}", status_code=303)
            errors = PlanErrors(
                other=["The plan changed while you were writing: check it, then send again"],
                status=409,
            )
    answers = {k: str(v) for k, v in form.items() if k not in ("csrf_token", "idempotency_key")}
    chosen = [str(a) for a in form.getlist("attended")]
    return await change_page(
        web, request, who, case_id, change, answers, chosen, errors, errors.status
    )


async def change_page(
    web: Web,
    request: Request,
    who: SignedIn,
    case_id: uuid.UUID,
    change: str,
    answers: Mapping[str, str],
    chosen: list[str],
    errors: PlanErrors,
    status: int,
    *,
    fresh: bool = False,
) -> HTMLResponse:
    """A change's form, with the plan as it stands (its needs, goals and team to choose from);
    a fresh one only for the case's lead while it is open (a form that could not be sent)."""
    kind = CHANGES[change]
    found, case, referral = await _about(web, who, case_id)
    if fresh and not may_change(who, case):
        raise NotAllowed("Only the case's lead professional changes its plan, while it is open.")
    taken = refs(found, kind.collection) if kind.prefix else {}
    return web.page(
        request,
        f"plan_{change}.html",
        who,
        status,
        change=change,
        heading=kind.heading,
        button=kind.button,
        plan=found,
        case=case,
        referral=referral,
        ref=next_ref(kind.prefix, taken) if kind.prefix else "",
        people=await team_choices(web, found) if change == "team" else [],
        services=_services(case),
        answers=answers,
        chosen=chosen,
        progress_words=PROGRESS_WORDS,
        outcome_words=OUTCOME_WORDS,
        errors=errors,
    )
