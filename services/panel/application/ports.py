"""What the panel's reads need from its read model (agendas, upcoming meetings, who leads
which case), as types: `adapters/read_model.py` provides it, the queries ask it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from contracts.reference import District, Panel
from maag.runtime.web.auth import Caller


@dataclass(frozen=True)
class ScheduledMeeting:
    meeting_id: UUID
    panel: Panel
    district: District | None
    starts_at: datetime
    cases: int = 0  # listed on its agenda (decided or still to decide; not those taken off)


@dataclass(frozen=True)
class AgendaItem:
    case_id: UUID
    reason: str
    status: str  # listed | removed | decided
    decisions: str  # what was decided at the meeting, in order
    listed_at: datetime


@dataclass(frozen=True)
class LedCase:
    """A case as its lead professional's list shows it."""

    case_id: UUID
    professional_id: str
    district: District
    panel: Panel
    since: datetime
    status: str  # active | closed


@dataclass(frozen=True)
class Waiting:
    """A meeting of someone's panels with cases on its agenda still to decide."""

    meeting_id: UUID
    panel: Panel
    district: District | None
    starts_at: datetime
    to_decide: int  # listed, not decided, not taken off
    reviews: int  # of those, package reviews


@dataclass(frozen=True)
class Seats:
    """The tiers and districts whose panels someone sits on (their token's)."""

    tiers: frozenset[str]
    districts: frozenset[str]

    @classmethod
    def of(cls, caller: Caller) -> Seats:
        return cls(frozenset(caller.tiers), frozenset(caller.districts))


class ReadModel(Protocol):
    def upcoming(
        self,
        panel: Panel | None,
        district: District | None,
        after: datetime,
        seats: Seats | None = None,
    ) -> list[ScheduledMeeting]: ...

    def agenda_of(self, meeting_id: UUID) -> list[AgendaItem]: ...

    def led_by(self, professional_id: str) -> list[LedCase]: ...

    def started_between(self, since: datetime, until: datetime) -> list[UUID]: ...

    def waiting(self, seats: Seats | None, since: datetime, until: datetime) -> list[Waiting]: ...
