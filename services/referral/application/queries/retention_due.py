"""Which cases the retention schedule says may now be erased (a dry run, for the data
protection officer; `maag privacy retention --apply` erases them one recorded erasure at a
time). Those under a legal hold are listed, marked: they are not to be erased.

And what is due for the data protection officer (their work tray): each case whose retention
period ends within four weeks or has ended, and each legal hold whose last day is within four
weeks or has passed without its release; soonest first, overdue before the rest (a read of
each case listed is recorded)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from contracts.reference import Role
from maag.runtime.evidence.reads import record_reads
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.referral.domain.referral import Referral
from services.referral.domain.retention import RetentionOutcome, Rule, outcome_named

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp

AHEAD = timedelta(weeks=4)  # how far ahead something due is worth showing


class DueView(BaseModel):
    case_id: UUID
    rule: str
    due_on: date
    held: bool = Field(description="Under a legal hold: not to be erased.")


class Retention(BaseModel):
    """When the schedule lets a case's personal details be erased."""

    rule: str = Field(description="The schedule's rule for how the case ended, e.g. closed=dob+25.")
    due_on: date = Field(description="The first day the details may be erased.")


class PrivacyDueView(BaseModel):
    """Something due for the data protection officer on a case."""

    case_id: UUID
    kind: Literal["retention", "hold-ending"] = Field(
        description="retention: the case's retention period ends (its details may then be "
        "erased); hold-ending: the case's legal hold reaches its last day."
    )
    due_on: date = Field(
        description="retention: the first day the details may be erased; hold-ending: the "
        "hold's last day."
    )
    overdue: bool = Field(
        description="retention: the period ended before today; hold-ending: the hold's last "
        "day has passed and it is not released."
    )
    rule: str | None = Field(description="retention: the schedule's rule; hold-ending: None.")
    held: bool = Field(description="Under a legal hold in force today: not to be erased.")


def retention_due(
    app: ReferralApp, caller: Caller, outcomes: Sequence[str], today: date
) -> list[DueView]:
    """`outcomes`: only cases that ended so (all, when none is named); an unknown one is
    refused (`ScheduleError`)."""
    caller.require(Role.PRIVACY_OFFICER, to="apply the retention schedule")
    wanted = {outcome_named(o) for o in outcomes} if outcomes else None
    return cases_due(app, app.cases.case_ids(), app.schedule, today, wanted)


def cases_due(
    app: ReferralApp,
    case_ids: Iterable[UUID],
    schedule: Sequence[Rule],
    today: date,
    outcomes: Collection[RetentionOutcome] | None = None,
) -> list[DueView]:
    """Of `case_ids`, those whose details `schedule` says may be erased by `today`."""
    rules = {r.outcome: r for r in schedule if outcomes is None or r.outcome in outcomes}
    found = []
    for case_id in case_ids:
        # one case at a time (a unit of work each): the store may hold many thousands
        referral = Work(app).get_as(case_id, Referral, "referral")
        due = _retention(app, referral, rules)
        if due is not None and due.due_on <= today:
            held = referral.hold_in_force(today)
            found.append(DueView(case_id=case_id, rule=due.rule, due_on=due.due_on, held=held))
    return found


def retention_of(app: ReferralApp, referral: Referral) -> Retention | None:
    """When the schedule in force lets the case's details be erased (None: the case is still
    open, its details are erased already, or its rule counts from a date of birth not known)."""
    return _retention(app, referral, {r.outcome: r for r in app.schedule})


def privacy_due(app: ReferralApp, caller: Caller, today: date) -> list[PrivacyDueView]:
    """The data protection officer's work tray (see the module's words)."""
    caller.require(Role.PRIVACY_OFFICER, to="see what the retention schedule and holds make due")
    horizon = today + AHEAD
    rules = {r.outcome: r for r in app.schedule}
    found: list[PrivacyDueView] = []
    for case_id in app.cases.case_ids():
        # one case at a time (a unit of work each), as the retention schedule's dry run
        referral = Work(app).get_as(case_id, Referral, "referral")
        if referral.erased is not None:
            continue  # nothing left to erase or to hold
        held = referral.hold_in_force(today)
        hold = referral.hold
        if hold is not None and hold.until <= horizon:
            found.append(
                PrivacyDueView(
                    case_id=case_id,
                    kind="hold-ending",
                    due_on=hold.until,
                    overdue=hold.until < today,
                    rule=None,
                    held=held,
                )
            )
        due = _retention(app, referral, rules)
        if due is not None and due.due_on <= horizon:
            found.append(
                PrivacyDueView(
                    case_id=case_id,
                    kind="retention",
                    due_on=due.due_on,
                    overdue=due.due_on < today,
                    rule=due.rule,
                    held=held,
                )
            )
    record_reads(app, [i.case_id for i in found], caller)
    return sorted(found, key=lambda i: (not i.overdue, i.due_on, str(i.case_id), i.kind))


def _retention(
    app: ReferralApp, referral: Referral, rules: Mapping[RetentionOutcome, Rule]
) -> Retention | None:
    rule = rules.get(referral.ended_as) if referral.ended_as is not None else None
    if rule is None or referral.erased is not None:
        return None
    child = app.child(referral)
    # a child never recorded as born is kept as long as a child born on the day expected
    born = (child.date_of_birth or child.expected_date_of_delivery) if child else None
    due = rule.due(born, referral.modified_on.date())
    return None if due is None else Retention(rule=str(rule), due_on=due)
