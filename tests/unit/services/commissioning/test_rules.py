from __future__ import annotations

from datetime import date

import pytest

from services.commissioning.domain.rules import (
    CommissioningRefused,
    ProviderOffer,
    allocate,
    committed_in_fy,
    financial_year,
    parse_split,
)

OFFERS = [
    ProviderOffer("cheap", frozenset({"family support"}), frozenset({"harlow"}), 10, 3000),
    ProviderOffer("dear", frozenset({"family support"}), frozenset(), 10, 5000),
]


def test_financial_years_start_in_april() -> None:
    assert financial_year(date(2026, 3, 31)) == 2025 and financial_year(date(2026, 4, 1)) == 2026


def test_committed_cost_runs_to_the_years_end_or_the_packages_end() -> None:
    assert committed_in_fy(7000, date(2027, 3, 25), None, 2026) == 7000  # one week left
    assert committed_in_fy(7000, date(2026, 4, 1), date(2026, 4, 14), 2026) == 14000
    assert committed_in_fy(7000, date(2027, 5, 1), None, 2026) == 0


def test_the_preferred_provider_is_used_when_it_has_room_else_the_cheapest() -> None:
    req = [{"service": "Family support", "hours_per_week": 4, "preferred_provider_id": "dear"}]
    assert allocate(req, OFFERS, "harlow")[0].provider_id == "dear"
    req = [{"service": "family support", "hours_per_week": 4}]
    (line,) = allocate(req, OFFERS, "harlow")
    assert (line.provider_id, line.weekly_cost_pence) == ("cheap", 12000)


def test_districts_limit_who_can_deliver() -> None:
    (line,) = allocate([{"service": "family support", "hours_per_week": 4}], OFFERS, "rochford")
    assert line.provider_id == "dear"


def test_capacity_taken_by_earlier_lines_counts() -> None:
    two = [{"service": "family support", "hours_per_week": 8}] * 2
    assert [line.provider_id for line in allocate(two, OFFERS, "harlow")] == ["cheap", "dear"]
    req = two * 2
    with pytest.raises(
        CommissioningRefused,
        match=r"no provider has 8 units a week of 'family support' free in harlow",
    ) as e:
        allocate(req, OFFERS, "harlow")
    assert e.value.reason == "no-capacity"


def test_a_funding_split_must_sum_to_100() -> None:
    assert parse_split("children-services:50,health:40,adult-transition:10")[1] == ("health", 40)
    with pytest.raises(ValueError, match="sum to 90, not 100"):
        parse_split("children-services:50,health:40")
    with pytest.raises(ValueError, match="is not agency:percent"):
        parse_split("children-services=50")
