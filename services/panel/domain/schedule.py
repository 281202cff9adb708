"""When each panel meets. Reference data: 12 district MAAGs weekly, the county EARP weekly,
the JAP monthly; meeting ids derive from panel and start, so a schedule made twice is one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid5

from contracts.reference import COUNTY_ZONE, District, Panel

LOCAL = COUNTY_ZONE
MEETING_NAMESPACE = UUID("0b6c5a55-98a8-4d8e-8f3b-1b0c9c6b7f21")
MONDAY, TUESDAY, WEDNESDAY, THURSDAY = 0, 1, 2, 3


@dataclass(frozen=True)
class PanelRef:
    """A panel: a district's MAAG, or the county's EARP or JAP."""

    panel: Panel
    district: District | None = None

    def __post_init__(self) -> None:
        if (self.panel is Panel.MAAG) != (self.district is not None):
            raise ValueError("a MAAG belongs to a district; EARP and JAP are county-wide")

    @property
    def key(self) -> str:
        return f"{self.panel.value}:{self.district.value}" if self.district else self.panel.value

    def __str__(self) -> str:
        return f"{self.district.value} MAAG" if self.district else self.panel.value.upper()


def all_panels() -> list[PanelRef]:
    return [PanelRef(Panel.MAAG, d) for d in District] + [PanelRef(Panel.EARP), PanelRef(Panel.JAP)]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=LOCAL)


def meetings_after(ref: PanelRef, after: datetime) -> list[datetime]:
    """The next few meeting starts strictly after `after` (enough to schedule ahead)."""
    start = after.astimezone(LOCAL).date()
    out: list[datetime] = []
    if ref.panel is Panel.JAP:  # the first Thursday of each month, 10:00
        year, month = start.year, start.month
        for _ in range(4):
            first = date(year, month, 1)
            day = first + timedelta(days=(THURSDAY - first.weekday()) % 7)
            out.append(_at(day, 10))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:  # weekly: district MAAGs on Tuesdays 10:00, EARP on Wednesdays 14:00
        weekday, hour = (TUESDAY, 10) if ref.panel is Panel.MAAG else (WEDNESDAY, 14)
        day = start + timedelta(days=(weekday - start.weekday()) % 7)
        out = [_at(day + timedelta(weeks=w), hour) for w in range(6)]
    return [m for m in out if m > after]


def next_meeting(ref: PanelRef, after: datetime) -> datetime:
    return meetings_after(ref, after)[0]


def meetings_between(ref: PanelRef, first: datetime, last: datetime) -> list[datetime]:
    """The starts of `ref`'s meetings after `first` and no later than `last`."""
    found: list[datetime] = []
    after = first
    while (starts := meetings_after(ref, after)) and starts[0] <= last:
        found.append(starts[0])
        after = starts[0]
    return found


# A meeting is called for now or later: one called for a time gone by would record what was
# not decided while it sat. A caller's clock may run this far ahead of the service's.
CALL_GRACE = timedelta(minutes=5)


# A meeting's agenda closes a day before it starts (the county's reference data: panel
# members read the papers beforehand): a case accepted later goes to the meeting after.
AGENDA_CUT_OFF = timedelta(days=1)


def agenda_open_at(ref: PanelRef, at: datetime) -> datetime:
    """The first meeting of `ref` whose agenda is still open at `at`."""
    return next_meeting(ref, at + AGENDA_CUT_OFF)


def first_meeting_on_or_after(ref: PanelRef, day: date) -> datetime:
    return next_meeting(ref, datetime.combine(day, time(0, 0), tzinfo=LOCAL) - timedelta(seconds=1))


def meeting_id(ref: PanelRef, starts_at: datetime) -> UUID:
    return uuid5(MEETING_NAMESPACE, f"{ref.key}@{starts_at.astimezone(LOCAL).isoformat()}")
