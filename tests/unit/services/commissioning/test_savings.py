"""What packages avoid, counted once per case and outcome a day."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from services.commissioning.domain.savings import (
    DEFAULT_ANNUAL_COST_PENCE,
    Cover,
    annual_costs,
    avoided_days,
    worth,
)

JAN = date(2027, 1, 1)


def _cover(
    package: str, start: date, end: date | None, case: str = "c", outcome: str = "a"
) -> Cover:
    return Cover(case, outcome, package, start, end)


def test_overlapping_packages_for_one_outcome_of_a_case_count_each_day_once() -> None:
    first = _cover("p1", date(2027, 1, 1), date(2027, 1, 20))
    second = _cover("p2", date(2027, 1, 10), date(2027, 1, 31))
    inside = _cover("p3", date(2027, 1, 12), date(2027, 1, 15))
    days = avoided_days([second, inside, first], JAN, date(2027, 1, 31))
    assert days == {first: 20, second: 11, inside: 0}


def test_each_case_and_each_outcome_count_on_their_own() -> None:
    covers = [
        _cover("p1", JAN, None),
        _cover("p1", JAN, None, outcome="b"),
        _cover("p2", JAN, None, case="other"),
    ]
    assert set(avoided_days(covers, JAN, date(2027, 1, 10)).values()) == {10}


def test_only_days_within_the_period_count() -> None:
    cover = _cover("p1", date(2026, 12, 1), date(2027, 2, 28))
    assert avoided_days([cover], JAN, date(2027, 1, 31)) == {cover: 31}
    assert avoided_days([cover], date(2027, 3, 1), date(2027, 3, 31)) == {cover: 0}


@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.integers(0, 40), st.booleans()), min_size=1, max_size=6
    )
)
def test_the_days_credited_are_the_days_any_package_is_active(
    spans: list[tuple[int, int, bool]],
) -> None:
    first, last = date(2027, 1, 10), date(2027, 2, 20)
    covers = []
    for n, (start, length, open_ended) in enumerate(spans):
        begin = date.fromordinal(JAN.toordinal() + start)
        end = None if open_ended else date.fromordinal(begin.toordinal() + length)
        covers.append(_cover(f"p{n}", begin, end))
    union = {
        day
        for c in covers
        for day in range(c.start.toordinal(), (c.end or last).toordinal() + 1)
        if first.toordinal() <= day <= last.toordinal()
    }
    assert sum(avoided_days(covers, first, last).values()) == len(union)


def test_a_year_is_worth_its_annual_cost() -> None:
    assert worth(36_500_000, 365) == 36_500_000 and worth(36_500_000, 1) == 100_000


def test_defaults_have_sources_and_the_deployment_overrides_them() -> None:
    assert set(DEFAULT_ANNUAL_COST_PENCE) == {"accommodation", "criminal-justice"}
    costs = annual_costs({"hospital": 1, "accommodation": 2})
    assert costs == {"accommodation": 2, "criminal-justice": 7_600_000, "hospital": 1}
