"""Record two referrals' children as siblings in one household, by someone who can read
both (a third sibling joins the household the others are in)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import NotFound, Work
from services.referral.application.access import may_read
from services.referral.application.commands import handlers
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class LinkHousehold(Command):
    action: ClassVar[Action | None] = Action.LINK_CHILD
    case_id: UUID
    sibling_case_id: UUID


@handlers(LinkHousehold)
def link_household(app: ReferralApp, c: LinkHousehold, work: Work[ReferralApp]) -> Referral:
    referral = work.get_as(c.case_id, Referral, "referral")
    try:
        sibling: Referral | None = work.get_as(c.sibling_case_id, Referral, "referral")
    except NotFound:
        sibling = None
    if sibling is None or not may_read(sibling, c.caller):
        raise NotFound(f"sibling_case_id: no referral {c.sibling_case_id} that you can see")
    referral.link_household(sibling)
    work.add(referral, sibling)
    return referral
