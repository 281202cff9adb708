"""Which cases the retention schedule says may now be erased (a dry run, for the data
protection officer; `maag privacy retention --apply` erases them one recorded erasure at a
time). Those under a legal hold are listed, marked: they are not to be erased."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, Field

from contracts.reference import Role
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.referral.domain.referral import Referral
from services.referral.domain.retention import RetentionOutcome, Rule, outcome_named

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class DueView(BaseModel):
    case_id: UUID
    rule: str
    due_on: date
    held: bool = Field(description="Under a legal hold: not to be erased.")


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
        rule = rules.get(referral.ended_as) if referral.ended_as is not None else None
        if rule is None or referral.erased is not None:
            continue
        child = app.child(referral)
        due = rule.due(child.date_of_birth if child else None, referral.modified_on.date())
        if due is not None and due <= today:
            held = referral.hold_in_force(today)
            found.append(DueView(case_id=case_id, rule=str(rule), due_on=due, held=held))
    return found
