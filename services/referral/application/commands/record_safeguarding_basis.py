"""Record a named professional's basis for sharing the child's details without consent;
the referral is triaged again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.referral.application.commands import handlers
from services.referral.domain.referral import Referral
from services.referral.domain.values import SafeguardingBasis

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class RecordSafeguardingBasis(Command):
    action: ClassVar[Action | None] = Action.CHANGE_CONSENT
    case_id: UUID
    basis: SafeguardingBasis


@handlers(RecordSafeguardingBasis)
def record_safeguarding_basis(
    app: ReferralApp, c: RecordSafeguardingBasis, work: Work[ReferralApp]
) -> Referral:
    referral = work.get_as(c.case_id, Referral, "referral")
    referral.record_safeguarding_basis(c.basis)
    work.add(referral)
    return referral
