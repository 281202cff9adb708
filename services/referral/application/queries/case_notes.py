"""Read a case's notes, every version, oldest first. Notes follow the child's details (they
may name the family: the policy's READ_CHILD), and the read is recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, Field

from maag.runtime import causation
from maag.runtime.policy import Action
from maag.runtime.queries import read_case
from maag.runtime.store.unit_of_work import fold
from maag.runtime.web.auth import Caller
from services.referral.application.access import load, scope_of
from services.referral.application.personal import PersonalDataErased, unseal
from services.referral.domain.notes import CaseNote
from services.referral.domain.values import Supersession

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class Note(BaseModel):
    note_id: UUID
    at: datetime
    about_date: date
    author: dict[str, str] | None
    text: str | None = Field(description="null once the case's details were erased")
    supersedes: UUID | None


@dataclass(frozen=True)
class NoteVersion:
    """One version of a note, and what superseded it, if anything."""

    note: Note
    superseded: Supersession | None


def case_notes(
    app: ReferralApp, case_id: UUID, caller: Caller, note_ids: Sequence[UUID] | None = None
) -> list[Note]:
    """The case's notes (or those of `note_ids`: one just written), oldest first."""
    read_case(app, caller, Action.READ_CHILD, case_id, load, scope_of)
    found = note_versions(app, app.cases.notes_of(case_id) if note_ids is None else note_ids)
    return [v.note for v in found]


def note_versions(app: ReferralApp, note_ids: Sequence[UUID]) -> list[NoteVersion]:
    """The notes, every version, oldest first, their text opened with the case's key (the
    caller has been authorised)."""
    found: list[NoteVersion] = []
    for note_id, events in app.histories(note_ids).items():
        note = fold(None, events)
        assert isinstance(note, CaseNote)
        written = events[0]  # who wrote it is the metadata of its first event
        found.append(
            NoteVersion(
                Note(
                    note_id=note_id,
                    at=note.created_on,
                    about_date=note.about_date,
                    author=causation.actor_of(written),
                    text=_text(app, note),
                    supersedes=note.supersedes,
                ),
                note.superseded,
            )
        )
    return sorted(found, key=lambda v: v.note.at)


def _text(app: ReferralApp, note: CaseNote) -> str | None:
    """None: erased with the case's details."""
    key = app.keyring.find(note.case_id)
    try:
        return str(unseal(key, note.case_id, note.sealed_text)["text"]) if key else None
    except PersonalDataErased:
        return None
