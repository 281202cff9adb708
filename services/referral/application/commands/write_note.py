"""Write a dated note on a case the author can see (sealed under the case's data key); a
correction supersedes a note, which stays, marked, with why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import NotFound, Work
from services.referral.application.commands import handlers
from services.referral.application.erasure import key_for_writing
from services.referral.application.personal import seal
from services.referral.domain.notes import CaseNote
from services.referral.domain.referral import Referral
from services.referral.domain.values import Correction

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class WriteNote(Command):
    action: ClassVar[Action | None] = Action.WRITE_NOTE
    case_id: UUID
    text: str
    about_date: date
    correction: Correction | None = None


@handlers(WriteNote)
def write_note(app: ReferralApp, c: WriteNote, work: Work[ReferralApp]) -> CaseNote:
    referral = work.get_as(c.case_id, Referral, "referral")
    then = "notes, which may hold them, can no longer be written"
    sealed = seal(key_for_writing(app, work, referral, then), c.case_id, {"text": c.text})
    corrects = c.correction.supersedes if c.correction else None
    note = CaseNote.write(c.case_id, sealed, c.about_date, corrects)
    if c.correction is not None:
        old = _note_on_case(work, c.correction.supersedes, c.case_id)
        old.supersede(note, c.correction.reason)
        work.add(old)
    work.add(note)
    return note


def _note_on_case(work: Work, note_id: UUID, case_id: UUID) -> CaseNote:
    try:
        found = work.get_as(note_id, CaseNote, "note")
    except NotFound:
        found = None
    if found is None or found.case_id != case_id:
        raise NotFound(f"supersedes: no note {note_id} on case {case_id}")
    return found
