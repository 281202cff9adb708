"""Case notes: what a professional with access to a case wrote, dated and signed.

A note is never edited: a correction is a new note that supersedes it, and both stay (the
old one marked, with why). Each version is an aggregate of its own, under the case (its
`case_id`), so the case's history and its audit trail hold every version. The text may name
people, so it is sealed under the case's own data key, like the child's details, and is
erased with them.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event


class NoteConflict(Exception):
    """The note cannot be superseded as asked (HTTP 409)."""


class CaseNote(Aggregate):
    class Written(Aggregate.Created):
        case_id: UUID
        sealed_text: str
        about_date: str  # the day the note is about (what happened when)
        supersedes: str | None

    class Superseded(Aggregate.Event):
        by_note_id: str
        reason: str

    @event(Written)
    def __init__(
        self, case_id: UUID, sealed_text: str, about_date: str, supersedes: str | None
    ) -> None:
        self.case_id = case_id
        self.sealed_text = sealed_text
        self.about_date = about_date
        self.supersedes = supersedes
        self.superseded: dict[str, str] | None = None

    def supersede(self, by: CaseNote, reason: str) -> None:
        if by.case_id != self.case_id:
            raise NoteConflict("supersedes: that note is on another case")
        if self.superseded is not None:
            raise NoteConflict(
                f"supersedes: note {self.id} was superseded already by note "
                f"{self.superseded['by_note_id']}; supersede that one"
            )
        self._superseded(by_note_id=str(by.id), reason=reason)

    @event(Superseded)
    def _superseded(self, by_note_id: str, reason: str) -> None:
        self.superseded = {"by_note_id": by_note_id, "reason": reason}
