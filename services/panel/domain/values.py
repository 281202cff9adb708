"""The panel's facts as types, from the HTTP body to the aggregate and back: a case's status,
where it is listed, who leads it, what became of each package; a meeting's attendees; the
plan's members, goals, actions and reviews. Stored events keep their own (plain) form; each
event's `apply` turns it into these.

A package's funding split is `contracts.events.base.FundingSplit` (commissioning charges it
as the panel agreed it); interventions are `contracts.events.panel.RequestedIntervention`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from contracts.events.base import FundingSplit
from contracts.events.panel import RequestedIntervention, ReviewDecision
from contracts.reference import Panel, Position


class CaseStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # consent withdrawn: off every agenda until it is given again
    CLOSED = "closed"
    JOINED = "joined"  # another referral of a child whose case is open here: joined that case
    # referred to children's social care's front door: off every agenda, no decisions, until
    # it answers (takes the case on: closed; or steps it down: active at the district's MAAG)
    AT_SOCIAL_CARE = "at-social-care"


class Outcome(StrEnum):
    """How a goal went at a review, and how the goals went taken together."""

    MET = "met"
    PARTLY = "partly"
    NOT_MET = "not-met"

    @classmethod
    def overall(cls, outcomes: list[Outcome]) -> Outcome:
        """The goals taken together, as the panel records a package review's: met when every
        goal was met, not met when none was met even partly, else partly."""
        if outcomes and all(o is cls.MET for o in outcomes):
            return cls.MET
        if all(o is cls.NOT_MET for o in outcomes):
            return cls.NOT_MET
        return cls.PARTLY


class Progress(StrEnum):
    NOT_STARTED = "not-started"
    ON_TRACK = "on-track"
    OFF_TRACK = "off-track"
    MET = "met"


@dataclass(frozen=True)
class Listing:
    """A meeting the case is listed on: whose, when, and why."""

    panel: Panel
    starts_at: datetime
    reason: str


@dataclass(frozen=True)
class Lead:
    """The case's lead professional, as the panel last assigned."""

    professional_id: str
    name: str
    agency: str
    work_email: str


@dataclass(frozen=True)
class PackageRequest:
    """What the panel asked commissioning for, at which tier and meeting."""

    panel: Panel
    interventions: tuple[RequestedIntervention, ...]
    funding_split: FundingSplit
    meeting_id: UUID  # the meeting that agreed it


@dataclass(frozen=True)
class Package:
    """What the panel knows of one of the case's packages: what it asked for (when it asked
    here), when its review is listed, whether commissioning could not commission it or has
    ended it, and the panel's last review decision."""

    requested: PackageRequest | None = None
    review_on: date | None = None
    review_meeting: UUID | None = None  # the meeting its review is listed on
    failed: str | None = None  # why it could not be commissioned
    ended: str | None = None  # why it was decommissioned
    last_review: ReviewDecision | None = None
    reviewed_at: UUID | None = None  # the meeting that decided its last review

    @property
    def panel(self) -> Panel | None:
        return self.requested.panel if self.requested else None

    @property
    def services(self) -> set[str]:
        return {i.service for i in self.requested.interventions} if self.requested else set()


@dataclass(frozen=True)
class Attendee:
    """Someone who confirmed their own attendance, in the capacity their sign-in names."""

    name: str
    agency: str
    position: Position


@dataclass(frozen=True)
class ExpectedAttendee:
    """Someone the coordinator expects: a plan, never counted toward quorum."""

    name: str
    agency: str


@dataclass(frozen=True)
class Apology:
    """Someone who sent their apologies for a meeting (before it, or while it sits)."""

    name: str
    agency: str


@dataclass(frozen=True)
class Declaration:
    """A member's declaration of an interest in a case listed at a meeting, made before the
    panel decided on it there: what the interest is, and whether they withdraw from the
    decision (then they do not count toward the meeting's quorum for that case, and may not
    record its decision)."""

    name: str
    agency: str
    interest: str
    withdraws: bool


@dataclass(frozen=True)
class Minutes:
    """What the meeting minuted, in general or on one agenda item: the discussion and the
    actions agreed (None: erased, for an item's minutes, which are written about a child)."""

    discussion: str | None
    actions: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class Circulation:
    """The agenda as last circulated to the panel's members: which circulation it was (each
    later one revises the one before), how many cases it listed then, when, and whether a
    case was listed or taken off since (the agenda is then worth sending again)."""

    number: int
    cases: int
    at: datetime
    changed: bool = False


@dataclass(frozen=True)
class Member:
    """A member of the Team Around the Child."""

    name: str
    organisation: str
    role: str


@dataclass(frozen=True)
class FamilyMeeting:
    held_on: date
    attended: tuple[str, ...]  # team member ids, and "family"
    consent_reconfirmed: bool
    summary: str | None  # None: erased (as is every text the plan holds about the family)


@dataclass(frozen=True)
class ProgressNote:
    status: Progress
    note: str | None
    recorded_on: date


@dataclass(frozen=True)
class Goal:
    need_id: str
    text: str | None
    progress: tuple[ProgressNote, ...] = ()


@dataclass(frozen=True)
class Action:
    goal_id: str
    text: str | None
    owner: str  # a team member's id
    due_on: date
    intervention: str | None  # a service of the case's packages


@dataclass(frozen=True)
class Agreement:
    agreed_on: date
    review_on: date


@dataclass(frozen=True)
class PlanReview:
    review_number: int
    reviewed_on: date
    outcomes: dict[str, Outcome]  # goal id -> outcome
    overall: Outcome
