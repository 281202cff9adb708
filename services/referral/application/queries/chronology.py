"""Read the case's chronology: its events here and its notes, in the order they happened
(reads left out; the child's details withheld as in the audit, and any other case an event
names withheld from someone who may not read it). Notes are in it, so it follows the child's
details (the policy's READ_CHILD), and the read is recorded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, Field

from maag.runtime.evidence.timeline import describe
from maag.runtime.policy import Action
from maag.runtime.queries import read_case
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.referral.application.access import load, may_read, scope_of
from services.referral.application.queries.case_notes import NoteVersion, note_versions
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp

OTHER_CASE_WITHHELD = "[withheld: a case you cannot see]"


class Superseded(BaseModel):
    by: UUID
    reason: str | None  # None: erased


class ChronologyItem(BaseModel):
    kind: str = Field(description="event or note")
    at: datetime
    event: str | None = None
    actor: dict[str, str] | None = None
    details: dict[str, Any] | None = None
    note_id: UUID | None = None
    about_date: str | None = None
    author: dict[str, str] | None = None
    text: str | None = None
    supersedes: UUID | None = None
    superseded: Superseded | None = None

    @classmethod
    def of_note(cls, version: NoteVersion) -> ChronologyItem:
        n, by = version.note, version.superseded
        return cls(
            kind="note",
            at=n.at,
            note_id=n.note_id,
            about_date=n.about_date.isoformat(),
            author=n.author,
            text=n.text,
            supersedes=n.supersedes,
            superseded=Superseded(by=by.by_note_id, reason=by.reason) if by else None,
        )


def chronology(app: ReferralApp, case_id: UUID, caller: Caller) -> list[ChronologyItem]:
    read_case(app, caller, Action.READ_CHILD, case_id, load, scope_of)
    events = app.histories([case_id]).get(case_id, [])
    work = Work(app)
    items = [
        *(_event(work, case_id, e, caller) for e in events if not isinstance(e, Referral.Viewed)),
        *map(ChronologyItem.of_note, note_versions(app, app.cases.notes_of(case_id))),
    ]
    return sorted(items, key=lambda item: item.at)


def _event(work: Work[ReferralApp], case_id: UUID, e: Any, caller: Caller) -> ChronologyItem:
    entry = describe(work.app.name, case_id, e, work.app.audit, to_reader=True)
    return ChronologyItem(
        kind="event",
        at=entry.at,
        event=entry.event,
        actor=entry.actor,
        details=_others_withheld(work, entry.details, caller),
    )


def _others_withheld(work: Work, details: Mapping[str, Any], caller: Caller) -> dict[str, Any]:
    """Another case named in an event (a sibling's, the case a referral joined, the
    referrals of a child offered as a match) is shown only to someone who may read it."""

    def readable(case_id: object) -> bool:
        found = work.find(UUID(str(case_id)))
        return isinstance(found, Referral) and may_read(found, caller)

    shown = dict(details)
    for name in ("sibling_case_id", "joins_case_id"):
        if shown.get(name) and not readable(shown[name]):
            shown[name] = OTHER_CASE_WITHHELD
    if isinstance(shown.get("offers"), list):
        shown["offers"] = [
            o for o in shown["offers"] if all(readable(c) for c in o.get("case_ids", []))
        ]
    return shown
