"""What an erasure destroys outside the store (the case's data key, its child-index keys,
its documents' content), in one place: done after the erasure's own commit, and again after
any write that sealed something under the case's key while an erasure was committing (its
key, made anew by that write, would otherwise outlive the erasure)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.store.unit_of_work import Work
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


def forget_personal_data(app: ReferralApp, case_id: UUID) -> None:
    """Everything of the case's that lives beside the store, gone: its match keys and its
    documents' content, then its data key (everything sealed under it, in the store or beside it, no longer opens)."""
    app.index.forget(case_id)
    app.documents.forget(case_id)
    app.keyring.destroy(case_id)


def key_for_writing(
    app: ReferralApp, work: Work[ReferralApp], referral: Referral, then: str
) -> bytes:
    """The case's data key, for what this unit of work seals under it: refused once the
    case's personal details were erased (`then`: what can no longer be done). An erasure may
    commit while this unit is in flight (destroying the key this unit then makes anew): so
    after this unit's commit, a case found erased is forgotten again."""
    referral.require_personal_details(then)
    work.after_commit(lambda: forget_if_erased(app, referral.id))
    return app.keyring.data_key(referral.id)


def forget_if_erased(app: ReferralApp, case_id: UUID) -> None:
    found = Work(app).find(case_id)
    if isinstance(found, Referral) and found.erased is not None:
        forget_personal_data(app, case_id)
