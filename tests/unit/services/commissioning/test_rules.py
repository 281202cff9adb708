from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.reference import Panel, financial_year
from services.commissioning.domain.rules import (
    CommissioningRefused,
    ProviderOffer,
    allocate,
    apportion,
    budget_charges,
    committed_in_fy,
)
from services.commissioning.domain.values import Charge, FundingSplit, Intervention

OFFERS = [
    ProviderOffer("cheap", frozenset({"family support"}), frozenset({"harlow"}), 10, 3000),
    ProviderOffer("dear", frozenset({"family support"}), frozenset(), 10, 5000),
]


def _i(service: str, hours: float, **more: Any) -> Intervention:
    return Intervention(
        service=service,
        hours_per_week=hours,
        starts_on=date(2026, 12, 7),
        review_interval_weeks=12,
        estimated_weekly_cost_pence=0,
        **more,
    )


def test_financial_years_start_in_april() -> None:
    assert financial_year(date(2026, 3, 31)) == 2025 and financial_year(date(2026, 4, 1)) == 2026


def test_committed_cost_runs_to_the_years_end_or_the_packages_end() -> None:
    assert committed_in_fy(7000, date(2027, 3, 25), None, 2026) == 7000  # one week left
    assert committed_in_fy(7000, date(2026, 4, 1), date(2026, 4, 14), 2026) == 14000
    assert committed_in_fy(7000, date(2027, 5, 1), None, 2026) == 0


def test_the_preferred_provider_is_used_when_it_has_room_else_the_cheapest() -> None:
    req = [_i("Family support", 4, preferred_provider_id="dear")]
    assert allocate(req, OFFERS, "harlow")[0].provider_id == "dear"
    req = [_i("family support", 4)]
    (line,) = allocate(req, OFFERS, "harlow")
    assert (line.provider_id, line.weekly_cost_pence) == ("cheap", 12000)


def test_districts_limit_who_can_deliver() -> None:
    (line,) = allocate([_i("family support", 4)], OFFERS, "rochford")
    assert line.provider_id == "dear"


def test_capacity_taken_by_earlier_lines_counts() -> None:
    two = [_i("family support", 8)] * 2
    assert [line.provider_id for line in allocate(two, OFFERS, "harlow")] == ["cheap", "dear"]
    req = two * 2
    with pytest.raises(
        CommissioningRefused,
        match=r"no provider has 8 units a week of 'family support' free in harlow",
    ) as e:
        allocate(req, OFFERS, "harlow")
    assert e.value.reason == "no-capacity"


@given(st.integers(0, 10**9), st.lists(st.integers(0, 100), min_size=1, max_size=5))
def test_shares_of_money_add_up_exactly(pence: int, weights: list[int]) -> None:
    total = sum(weights)
    if total == 0:
        return
    percents = [w * 100 // total for w in weights]
    percents[0] += 100 - sum(percents)
    shares = apportion(pence, percents)
    assert sum(shares) == pence
    assert all(abs(s - pence * p / 100) < 1 for s, p in zip(shares, percents, strict=True))


def test_a_jap_package_is_charged_to_each_funders_jap_budget() -> None:
    split = FundingSplit.of([("pct", 30), ("childrens-services", 70)])
    assert budget_charges(Panel.JAP, "harlow", split) == [
        Charge("jap:pct", 30),
        Charge("jap:childrens-services", 70),
    ]
    assert budget_charges(Panel.MAAG, "harlow", FundingSplit()) == [Charge("maag:harlow", 100)]
    assert budget_charges(Panel.EARP, "harlow", FundingSplit()) == [Charge("earp", 100)]
    with pytest.raises(CommissioningRefused, match="has not agreed how this package is funded"):
        budget_charges(Panel.JAP, "harlow", FundingSplit())
