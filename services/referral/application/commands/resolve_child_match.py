"""Confirm or reject a child the index offered as this referral's, by someone who can read
this referral and every referral of that child (a referrer whose agency cannot see one of
them leaves it to a panel member). Confirmed, the referral joins the child's open case, if
any, and the index then finds it under that child."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Forbidden
from services.referral.application.access import may_read
from services.referral.application.commands import handlers
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class ResolveChildMatch(Command):
    action: ClassVar[Action | None] = Action.LINK_CHILD
    case_id: UUID
    child_id: UUID
    confirmed: bool
    reason: str


@handlers(ResolveChildMatch)
def resolve_child_match(
    app: ReferralApp, c: ResolveChildMatch, work: Work[ReferralApp]
) -> Referral:
    referral = work.get_as(c.case_id, Referral, "referral")
    offer = referral.offered(c.child_id).offer
    theirs = [work.get_as(case, Referral, "referral") for case in offer.case_ids]
    unseen = [r for r in theirs if not may_read(r, c.caller)]
    if unseen:
        raise Forbidden(
            f"child_id: {len(unseen)} of child {c.child_id}'s referrals are another "
            "agency's, which you cannot see, so you cannot say whether this is the same "
            "child; a panel member can resolve this match"
        )
    open_cases = [r for r in theirs if r.child_id == c.child_id and r.open_here()]
    joins = max(open_cases, key=lambda r: r.created_on) if open_cases else None
    referral.resolve_match(c.child_id, c.confirmed, joins.id if joins else None, c.reason)
    work.add(referral)
    if c.confirmed:  # recorded: the index then finds this referral under the confirmed child
        work.after_commit(lambda: app.index.relink(c.case_id, c.child_id))
    return referral
