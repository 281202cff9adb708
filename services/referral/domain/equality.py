"""Who the referrals are for, as the boards and the county's returns count them (no I/O):
the child's sex, ethnic group and age band, and the small-number rule that keeps a figure
from pointing at a family.

A count of 1 to 4 in a published table can identify a child in a small community, so every
such count is suppressed (shown as "fewer than 5", never its number), as the Government
Statistical Service's guidance for children's social care figures does. The total is shown
(it is the boards' own referral count), so where one count alone would be hidden the next
smallest is hidden with it; and where there are only 1 to 4 referrals in all, nothing is
shown (a zero beside them would say something of each). The period counted is whole
months (`whole_months`): a single day's figures would point at that day's few referrals,
and two overlapping periods a day apart at one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from contracts.child import Ethnicity, Sex
from contracts.events.referral import ChildDetails

SUPPRESS_UNDER = 5  # counts 1..4 are not published
NOT_RECORDED = "not-recorded"  # the referral did not say (or its details were erased)


class AgeBand(StrEnum):
    """The Children in Need census's age bands, at the referral."""

    UNBORN = "unborn"
    UNDER_1 = "under-1"
    AGE_1_TO_4 = "1-4"
    AGE_5_TO_9 = "5-9"
    AGE_10_TO_15 = "10-15"
    AGE_16_AND_OVER = "16-and-over"


def age_band(child: ChildDetails, on: date) -> AgeBand:
    if child.date_of_birth is None:
        return AgeBand.UNBORN
    born = child.date_of_birth
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if years < 1:
        return AgeBand.UNDER_1
    if years < 5:
        return AgeBand.AGE_1_TO_4
    if years < 10:
        return AgeBand.AGE_5_TO_9
    if years < 16:
        return AgeBand.AGE_10_TO_15
    return AgeBand.AGE_16_AND_OVER


@dataclass(frozen=True)
class Coded:
    """One referral's coded facts (no name, no date of birth, no number)."""

    sex: str
    ethnicity: str
    age_band: str
    disability: str
    sen: str

    @classmethod
    def of(cls, child: ChildDetails | None, received: date, referred_unborn: bool) -> Coded:
        """`referred_unborn`: the child was not born at the referral (and is now)."""
        if child is None:
            return cls(NOT_RECORDED, NOT_RECORDED, NOT_RECORDED, NOT_RECORDED, NOT_RECORDED)
        band = AgeBand.UNBORN if referred_unborn else age_band(child, received)
        return cls(
            sex=child.sex.value if child.sex else NOT_RECORDED,
            ethnicity=child.ethnicity.value if child.ethnicity else NOT_RECORDED,
            age_band=band.value,
            disability=NOT_RECORDED if child.disability is None else str(child.disability).lower(),
            sen=child.sen.value if child.sen else NOT_RECORDED,
        )


@dataclass(frozen=True)
class Figure:
    value: str
    count: int | None  # None: suppressed (1 to 4)

    @property
    def suppressed(self) -> bool:
        return self.count is None


def published(count: int) -> int | None:
    return None if 0 < count < SUPPRESS_UNDER else count


def figures(values: Iterable[str], every: Iterable[str]) -> list[Figure]:
    """Each of `every` (and anything else seen), with its count as it may be published. With
    the total shown, one suppressed count would be the total less the rest: so when only one
    is, the next smallest is suppressed too."""
    counted = Counter(values)
    order = list(dict.fromkeys([*every, *counted]))
    shown = {v: published(counted[v]) for v in order}
    hidden = [v for v in order if shown[v] is None]
    if len(hidden) == 1:
        rest = sorted((c, v) for v in order if (c := shown[v]))
        if rest:
            shown[rest[0][1]] = None
    return [Figure(v, shown[v]) for v in order]


def published_total(total: int) -> int | None:
    """The referrals counted: none of it published when there are 1 to 4 (each of its
    tables would say something of each of those few children)."""
    return published(total)


def tables(coded: Iterable[Coded]) -> Mapping[str, list[Figure]]:
    """The referrals by sex, by ethnic group and by age band: every count hidden when there
    are only 1 to 4 referrals in all (`published_total`)."""
    rows = list(coded)
    if published_total(len(rows)) is None:
        return {
            name: [Figure(f.value, None) for f in found] for name, found in _tables(rows).items()
        }
    return _tables(rows)


def _tables(rows: list[Coded]) -> Mapping[str, list[Figure]]:
    return {
        "sex": figures((c.sex for c in rows), [*(s.value for s in Sex), NOT_RECORDED]),
        "ethnicity": figures(
            (c.ethnicity for c in rows), [*(e.value for e in Ethnicity), NOT_RECORDED]
        ),
        "age_band": figures(
            (c.age_band for c in rows), [*(a.value for a in AgeBand), NOT_RECORDED]
        ),
    }


def whole_months(first: date, last: date) -> tuple[date, date]:
    """The period widened to whole calendar months: from the first of `first`'s month to the
    last day of `last`'s."""
    start = first.replace(day=1)
    following = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    return start, following - timedelta(days=1)
