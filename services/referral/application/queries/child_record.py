"""Read one child's record: their referrals, and their siblings', that the caller can see
(no personal details; each referral's read recorded)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, Field

from maag.runtime import policy
from maag.runtime.evidence.reads import case_reads
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import NotFound, Work
from maag.runtime.web.auth import Caller
from services.referral.application.access import may_read
from services.referral.application.ports import ListedCase
from services.referral.application.queries.list_referrals import ReferralSummary
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class ChildRecord(BaseModel):
    child_id: UUID
    referrals: list[ReferralSummary] = Field(description="Those you can see, oldest first.")
    household: list[ReferralSummary] = Field(
        description="Referrals of the child's siblings that you can see."
    )


def child_record(app: ReferralApp, child_id: UUID, caller: Caller) -> ChildRecord:
    mine = _visible(app, app.cases.of_children([child_id]), caller)
    if not mine:
        raise NotFound(f"child_id: no child {child_id} with a referral you can see")
    households = sorted({r.household_id for r in mine if r.household_id}, key=str)
    rows = [row for h in households for row in app.cases.of_household(h)]
    siblings = _visible(app, (row for row in rows if row.child_id != child_id), caller)
    return ChildRecord(
        child_id=child_id,
        referrals=[ReferralSummary.of(r) for r in mine],
        household=[ReferralSummary.of(r) for r in siblings],
    )


def _visible(app: ReferralApp, rows: Iterable[ListedCase], caller: Caller) -> list[Referral]:
    """Of the referrals listed, those the caller may read, each read recorded."""
    policy.require_role(caller, Action.READ_CASE)
    work = Work(app)
    visible = [
        r for row in rows if may_read(r := work.get_as(row.case_id, Referral, "referral"), caller)
    ]
    if visible:
        app.commit_unit(list(case_reads([r.id for r in visible], caller, personal_data=False)))
    return visible
