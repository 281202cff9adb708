"""Case notes: what a professional with access to a case wrote, dated and signed.

A note is never edited: a correction is a new note that supersedes it, and both stay (the
old one marked, with why). Each version is an aggregate of its own, under the case (its
`case_id`), so the case's history and its audit trail hold every version. The text may name
people, so it is sealed under the case's own data key, like the child's details, and is
erased with them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL, SPECIAL
from services.referral.domain.values import Supersession


class NoteConflict(Exception):
    """The note cannot be superseded as asked (HTTP 409)."""


class CaseNote(Aggregate):
    class Written(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]
        sealed_text: Annotated[str | None, SPECIAL]
        about_date: Annotated[str, OPERATIONAL]  # the day the note is about (what happened when)
        supersedes: Annotated[str | None, OPERATIONAL]

    class Superseded(Aggregate.Event):
        by_note_id: Annotated[str, OPERATIONAL]
        reason: Annotated[str | None, SPECIAL]

        def apply(self, aggregate: CaseNote) -> None:
            aggregate.superseded = Supersession(UUID(self.by_note_id), self.reason)

    @event(Written)
    def __init__(
        self, case_id: UUID, sealed_text: str, about_date: str, supersedes: str | None
    ) -> None:
        self.case_id = case_id
        self.sealed_text = sealed_text
        self.about_date = date.fromisoformat(about_date)
        self.supersedes = UUID(supersedes) if supersedes else None
        self.superseded: Supersession | None = None

    @classmethod
    def write(
        cls, case_id: UUID, sealed_text: str, about_date: date, supersedes: UUID | None
    ) -> CaseNote:
        return cls(
            case_id=case_id,
            sealed_text=sealed_text,
            about_date=about_date.isoformat(),
            supersedes=str(supersedes) if supersedes else None,
        )

    def supersede(self, by: CaseNote, reason: str) -> None:
        if by.case_id != self.case_id:
            raise NoteConflict("supersedes: that note is on another case")
        if self.superseded is not None:
            raise NoteConflict(
                f"supersedes: note {self.id} was superseded already by note "
                f"{self.superseded.by_note_id}; supersede that one"
            )
        self.trigger_event(self.Superseded, by_note_id=str(by.id), reason=reason)
