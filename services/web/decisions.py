"""A panel chair's decision form as the panel API's body: what each kind of decision carries.
The API checks it and refuses what is wrong by field and rule. Pure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Required, TypedDict

from starlette.datastructures import FormData

from contracts.reference import JAP_FUNDERS
from services.web.forms import Number, number, pence


class Intervention(TypedDict, total=False):
    """One intervention of a package, as the form gives it."""

    service: Required[str]
    starts_on: Required[str]
    review_interval_weeks: Required[Number]
    estimated_weekly_cost_pence: Required[int | str]
    hours_per_week: Number


class Share(TypedDict):
    """A JAP funder's share of a package."""

    agency: str
    percent: Number


class Decision(TypedDict, total=False):
    """The panel API's decision body: the fields its `kind` carries."""

    kind: Required[str]
    case_id: Required[str]
    # assign-lead-professional
    professional_id: str
    name: str
    agency: str
    work_email: str
    # review-package
    package_id: str
    goals: str
    level_of_need_change: Number
    decision: str
    effective_from: str
    # request-package (and a review that recommissions)
    interventions: list[Intervention]
    alternative_to: list[str]
    funding_split: list[Share]
    # the others: defer, close, escalate, step-down, refer-to-social-care
    reason: str
    outcomes: list[str]  # close
    to: str
    justification: str


def decision_body(form: FormData) -> Decision:
    """A decision form as the panel API's body; the API says what is wrong with it."""
    kind = str(form.get("kind", ""))
    body: Decision = {"kind": kind, "case_id": str(form.get("case_id", ""))}

    def text(name: str) -> str:
        return str(form.get(name, "")).strip()

    if kind == "assign-lead-professional":
        body["professional_id"] = text("professional_id")
        body["name"] = text("name")
        body["agency"] = text("agency")
        body["work_email"] = text("work_email")
    elif kind == "review-package":
        _review(body, text)
    elif kind == "request-package":
        _request(body, text, [str(a) for a in form.getlist("alternative_to")])
    else:
        body["reason"] = text("reason")
        if kind in ("escalate", "step-down"):
            body["to"] = text("to")
        if kind == "close" and (stands := [str(o) for o in form.getlist("outcomes")]):
            body["outcomes"] = stands
    if justification := text("justification"):
        body["justification"] = justification
    return body


def _review(body: Decision, text: Callable[[str], str]) -> None:
    body["package_id"] = text("package_id")
    body["goals"] = text("goals")
    body["level_of_need_change"] = number(text("level_change") or "0")
    body["decision"] = text("decision")
    body["reason"] = text("reason")
    if when := text("effective_from"):
        body["effective_from"] = when
    if body["decision"] == "recommission":
        body["interventions"] = [_line(text)]


def _request(body: Decision, text: Callable[[str], str], avoided: list[str]) -> None:
    body["interventions"] = [_line(text)]
    if avoided:
        body["alternative_to"] = avoided
    shares: list[Share] = [
        {"agency": funder, "percent": number(share)}
        for funder in JAP_FUNDERS
        if (share := text(f"share-{funder}"))
    ]
    if shares:
        body["funding_split"] = shares


def _line(text: Callable[[str], str]) -> Intervention:
    """One intervention of a package form."""
    line: Intervention = {
        "service": text("service"),
        "starts_on": text("starts_on"),
        "review_interval_weeks": number(text("review_weeks")),
        "estimated_weekly_cost_pence": pence(text("weekly_cost")),
    }
    if hours := text("hours"):
        line["hours_per_week"] = number(hours)
    return line
