"""Commissioning's values and stored events: each value reads back what it stores; every
event class keeps the topic stored events name it by; an aggregate read back from its
events (each event's `apply`) is the aggregate that recorded them; a v1 package decodes."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from contracts.events.commissioning import DecommissionReason, ReviewOutcome
from contracts.events.panel import ReviewDecision
from contracts.reference import AvoidedOutcome, Panel
from maag.runtime.settings import Settings
from services.commissioning.adapters.translate import CLASSES
from services.commissioning.application.app import CommissioningApp
from services.commissioning.domain.aggregates import Budget, Package, Provider
from services.commissioning.domain.rules import Run
from services.commissioning.domain.values import (
    Charge,
    FundingSplit,
    Line,
    PackageStatus,
    ProviderDetails,
    ProviderKind,
)

LINE = Line("family support", "inhouse-west", 4.0, 14000, 4.0, None)


def test_each_value_reads_back_what_it_stores() -> None:
    assert Line.of(LINE.stored()) == LINE
    assert Charge.of(Charge("jap:pct", 40).stored()) == Charge("jap:pct", 40)
    split = FundingSplit.of([("childrens-services", 60), ("pct", 40)])
    assert FundingSplit.of(split.stored()) == split
    details = ProviderDetails.of(
        {
            "provider_id": "p-1",
            "name": "P",
            "kind": "pvi",
            "services": ["mentoring"],
            "weekly_capacity": 3,
            "unit_cost_pence": 100,
        }
    )
    assert (details.kind, details.districts) == (ProviderKind.PVI, ())  # county-wide


def test_every_event_class_keeps_its_stored_topic() -> None:
    """Stored events name their class by module and qualified name: neither may change."""
    for kind in (*CLASSES.published, *CLASSES.internal):
        assert get_topic(kind) == (
            f"services.commissioning.domain.aggregates:{kind.__qualname__}"
        ), kind
        assert kind.__qualname__.split(".")[0] in {
            "Provider",
            "Budget",
            "Package",
            "CasePackages",
            "Refusal",
            "ProviderIndex",
        }


def _package(**more: Any) -> Package:
    fields: dict[str, Any] = {
        "package_id": uuid.uuid4(),
        "case_id": uuid.uuid4(),
        "panel": Panel.JAP,
        "district": "harlow",
        "lines": [LINE],
        "starts_on": date(2026, 12, 7),
        "review_on": date(2027, 3, 1),
        "funding_split": FundingSplit.of([("childrens-services", 60), ("pct", 40)]),
        "committed_pence": 100_000,
        "fy": 2026,
        "alternative_to": [AvoidedOutcome.ACCOMMODATION],
        "charges": [Charge("jap:childrens-services", 60), Charge("jap:pct", 40)],
        **more,
    }
    return Package.commission(**fields)


@pytest.fixture
def app(tmp_path: Path) -> CommissioningApp:
    return CommissioningApp(Settings(data_dir=tmp_path))


def test_a_package_read_back_from_its_events_is_the_package_that_recorded_them(
    app: CommissioningApp,
) -> None:
    package = _package()
    package.review(ReviewOutcome.PARTLY, 1, ReviewDecision.CONTINUE, date(2027, 5, 24))
    moved = Line("therapy", "health-camhs", 2.0, 18000, 2.0, None)
    package.recommission([moved], date(2027, 1, 11), 90_000, 40_000)
    package.decommission(DecommissionReason.OUTCOMES_MET, date(2027, 2, 1), 10_000)
    app.save(package)
    read: Any = app.repository.get(package.id)
    assert vars(read) == vars(package) | {"_pending_events": []}
    assert read.status is PackageStatus.DECOMMISSIONED and read.ended_on == date(2027, 2, 1)
    assert read.review_on == date(2027, 5, 24) and read.lines == [moved]
    assert read.runs == [
        Run(date(2026, 12, 7), LINE.weekly_cost_pence),
        Run(date(2027, 1, 11), 18000),
    ]
    assert read.funding_split.pairs() == [("childrens-services", 60), ("pct", 40)]


def test_a_maag_package_keeps_no_funding_split() -> None:
    package = _package(panel=Panel.MAAG, charges=[Charge("maag:harlow", 100)])
    assert package.funding_split == FundingSplit()
    assert package.weekly_cost_pence == LINE.weekly_cost_pence


def test_providers_and_budgets_read_back_the_same(app: CommissioningApp) -> None:
    provider = Provider.register(
        ProviderDetails("p-1", "P", ProviderKind.PVI, ("Mentoring",), (), 5, 100)
    )
    package_id = uuid.uuid4()
    provider.reserve(package_id, 2)
    provider.reserve(package_id, 1)
    provider.change_capacity(4)
    budget = Budget(panel_key="earp", fy=2026, amount_pence=1000)
    budget.commit(package_id, 600)
    budget.release(package_id, 100)
    budget.amend(900)
    app.save(provider, budget)
    for live in (provider, budget):
        assert vars(app.repository.get(live.id)) == vars(live) | {"_pending_events": []}
    assert (provider.services, provider.used, provider.free) == (["mentoring"], 3, 1)
    assert (budget.committed, budget.left) == (500, 400)


def test_a_version_1_package_decodes_with_nothing_avoided_and_its_panel_charged() -> None:
    state: dict[str, Any] = {"panel_key": "maag:harlow"}
    Package.Commissioned.upcast_v1_v2(state)
    assert state == {
        "panel_key": "maag:harlow",
        "alternative_to": [],
        "charges": [["maag:harlow", 100]],
    }
