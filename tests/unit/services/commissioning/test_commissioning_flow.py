"""Commissioning through the use cases over a real (SQLite) store: capacity, budgets, JAP
splits, decommissioning releasing capacity and money, the race for the last place, reports."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from contracts.events.commissioning import DecommissionReason, ReviewOutcome
from contracts.events.panel import ReviewDecision
from contracts.reference import AvoidedOutcome, Panel, Role
from maag.runtime.follow.projection import Projector, read_model_engine
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from maag.runtime.web.reports import to_csv
from services.commissioning.adapters.read_model import project
from services.commissioning.application.app import CommissioningApp
from services.commissioning.application.commands import SERVICE
from services.commissioning.application.commands.commission_package import CommissionPackage
from services.commissioning.application.commands.decommission_case import DecommissionCase
from services.commissioning.application.commands.decommission_package import (
    decommission_package,
)
from services.commissioning.application.commands.register_provider import RegisterProvider
from services.commissioning.application.commands.review_package import ReviewPackage
from services.commissioning.application.commands.set_budget import SetBudget
from services.commissioning.application.policies.on_package_review_decided import (
    on_package_review_decided,
)
from services.commissioning.application.queries.capacity_report import capacity
from services.commissioning.application.queries.savings_report import savings
from services.commissioning.application.queries.spend_report import spend
from services.commissioning.application.tables import REPORTS
from services.commissioning.domain.aggregates import (
    Budget,
    Package,
    Provider,
    Refusal,
    budget_uuid,
    provider_uuid,
)
from services.commissioning.domain.rules import CommissioningRefused
from services.commissioning.domain.values import FundingSplit, Intervention, ProviderDetails

TODAY = date(2026, 11, 27)
COMMISSIONER = Caller.of("c-1", Role.COMMISSIONER, "childrens-services")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


@pytest.fixture
def app(settings: Settings) -> CommissioningApp:
    app = CommissioningApp(settings)
    app.today = lambda: TODAY
    assert app.seed(TODAY) == 6 + 12 + 1 + 3  # providers; MAAG, EARP and JAP funders' budgets
    assert app.seed(TODAY) == 0
    return app


def _commission(
    *interventions: Intervention,
    panel: Panel = Panel.MAAG,
    district: str = "harlow",
    case_id: uuid.UUID | None = None,
    alternative_to: tuple[str, ...] | None = None,
    split: tuple[tuple[str, int], ...] | None = None,
) -> CommissionPackage:
    """What the panel's `PackageRequested` asks (as its policy dispatches it)."""
    return CommissionPackage(
        package_id=uuid.uuid4(),
        case_id=case_id or uuid.uuid4(),
        panel=panel,
        district=district,
        interventions=interventions,
        alternative_to=tuple(
            AvoidedOutcome(a)
            for a in (alternative_to if alternative_to is not None else _avoids(panel))
        ),
        funding_split=FundingSplit.of(split if split is not None else _split(panel)),
        caller=SERVICE,
        correlation_id="c",
    )


def _request(
    app: CommissioningApp,
    *interventions: Intervention,
    panel: Panel = Panel.MAAG,
    district: str = "harlow",
    case_id: uuid.UUID | None = None,
    alternative_to: tuple[str, ...] | None = None,
    split: tuple[tuple[str, int], ...] | None = None,
) -> Package | Refusal:
    work = Work(app)
    command = _commission(
        *interventions,
        panel=panel,
        district=district,
        case_id=case_id,
        alternative_to=alternative_to,
        split=split,
    )
    result: Package | Refusal = app.handle(command, work)
    work.commit()
    return result


def _avoids(panel: Panel) -> tuple[str, ...]:
    return () if panel is Panel.MAAG else ("accommodation",)


def _split(panel: Panel) -> tuple[tuple[str, int], ...]:
    return (("childrens-services", 60), ("pct", 40)) if panel is Panel.JAP else ()


def _review(
    app: CommissioningApp,
    package: Package,
    decision: str,
    when: date,
    interventions: list[Intervention] | None = None,
    goals: str = "partly",
) -> Package:
    """A review the panel decided, carried out as commissioning's policy does."""
    work = Work(app)
    app.handle(
        ReviewPackage(
            package_id=package.id,
            case_id=package.case_id,
            panel=package.panel,
            goals=ReviewOutcome(goals),
            level_of_need_change=0,
            decision=ReviewDecision(decision),
            effective_from=when,
            interventions=tuple(interventions or ()),
            caller=SERVICE,
            correlation_id="c",
        ),
        work,
    )
    work.commit()
    return work.get_as(package.id, Package, "package")


def _budget(app: CommissioningApp, key: str) -> Budget:
    budget: Any = app.repository.get(budget_uuid(key, 2026))
    assert isinstance(budget, Budget)
    return budget


def _i(service: str = "family support", hours: float = 4, **more: Any) -> Intervention:
    fields: dict[str, Any] = {
        "service": service,
        "hours_per_week": hours,
        "starts_on": "2026-12-07",
        "review_interval_weeks": 12,
        "estimated_weekly_cost_pence": 0,
        **more,
    }
    return Intervention.model_validate(fields)


def _provider(app: CommissioningApp, provider_id: str) -> Provider:
    p: Any = app.repository.get(provider_uuid(provider_id))
    assert isinstance(p, Provider)
    return p


def test_a_package_is_commissioned_from_a_provider_with_room_within_budget(
    app: CommissioningApp,
) -> None:
    package = _request(app, _i())
    assert isinstance(package, Package)
    assert package.lines[0].provider_id == "inhouse-west" and package.weekly_cost_pence == 14000
    assert package.review_on == date(2027, 3, 1) and package.funding_split == FundingSplit()
    assert _provider(app, "inhouse-west").used == 4
    budget: Any = app.repository.get(budget_uuid("maag:harlow", 2026))
    assert isinstance(budget, Budget) and budget.committed == package.cost_in(2026) > 0


def test_no_capacity_is_refused_with_the_reason_and_changes_nothing(app: CommissioningApp) -> None:
    refusal = _request(app, _i("family support", 4), _i("astrophysics", 1))
    assert isinstance(refusal, Refusal) and refusal.reason == "no-capacity"
    assert "'astrophysics'" in refusal.detail
    assert _provider(app, "inhouse-west").used == 0  # the first line's place was not kept


def test_over_budget_is_refused_with_the_figures(app: CommissioningApp) -> None:
    app.handle(
        SetBudget(
            key="maag:harlow",
            fy=2026,
            amount_pence=100_000,
            caller=COMMISSIONER,
            correlation_id="c",
        )
    )
    refusal = _request(app, _i(hours=10))
    assert isinstance(refusal, Refusal) and refusal.reason == "over-budget"
    assert "£1,000.00 of maag:harlow's £1,000.00 is left" in refusal.detail


def test_a_jap_split_is_charged_to_each_funders_budget_and_released_from_each(
    app: CommissioningApp,
) -> None:
    package = _request(app, _i("therapy", 2), panel=Panel.JAP)
    assert isinstance(package, Package)
    assert package.funding_split.pairs() == [("childrens-services", 60), ("pct", 40)]
    scf, pct = _budget(app, "jap:childrens-services"), _budget(app, "jap:pct")
    assert scf.committed + pct.committed == package.cost_in(2026)
    assert scf.committed == round(package.cost_in(2026) * 0.6)
    assert _budget(app, "jap:adult-transition").committed == 0
    _review(app, package, "decommission", date(2027, 1, 4))
    scf_after, pct_after = _budget(app, "jap:childrens-services"), _budget(app, "jap:pct")
    assert 0 < scf_after.committed < scf.committed and 0 < pct_after.committed < pct.committed
    assert abs(scf_after.committed * 40 - pct_after.committed * 60) <= 100  # still 60:40


def test_a_jap_package_without_an_agreed_split_is_refused_back_to_the_panel(
    app: CommissioningApp,
) -> None:
    refusal = _request(app, _i("therapy", 2), panel=Panel.JAP, split=())
    assert isinstance(refusal, Refusal) and refusal.reason == "no-funding-split"
    assert _budget(app, "jap:childrens-services").committed == 0


def test_a_funder_without_a_jap_budget_is_refused_and_charges_no_one(
    app: CommissioningApp,
) -> None:
    refusal = _request(app, _i("therapy", 2), panel=Panel.JAP, split=(("pct", 50), ("housing", 50)))
    assert isinstance(refusal, Refusal) and refusal.reason == "no-budget"
    assert "jap:housing" in refusal.detail and _budget(app, "jap:pct").committed == 0


def test_one_funder_short_of_money_refuses_the_whole_package(app: CommissioningApp) -> None:
    app.handle(
        SetBudget(key="jap:pct", fy=2026, amount_pence=100, caller=COMMISSIONER, correlation_id="c")
    )
    refusal = _request(app, _i("therapy", 2), panel=Panel.JAP)
    assert isinstance(refusal, Refusal) and refusal.reason == "over-budget"
    assert "jap:pct" in refusal.detail
    assert _budget(app, "jap:childrens-services").committed == 0
    assert _provider(app, "health-camhs").used == 0


def test_decommissioning_releases_capacity_and_the_rest_of_the_money(app: CommissioningApp) -> None:
    package = _request(app, _i(hours=6))
    assert isinstance(package, Package)
    work = Work(app)
    assert decommission_package(
        work,
        work.get_as(package.id, Package, "package"),
        DecommissionReason.OUTCOMES_MET,
        date(2027, 1, 4),
        TODAY,
    )
    work.commit()
    assert _provider(app, "inhouse-west").used == 0
    budget = _budget(app, "maag:harlow")
    assert 0 < budget.committed < package.cost_in(2026)  # spend stops from that date
    assert app.repository.get(package.id).status == "decommissioned"


def test_consent_withdrawn_decommissions_every_active_package_of_the_case(
    app: CommissioningApp,
) -> None:
    case_id = uuid.uuid4()
    first, second = (
        _request(app, _i(), case_id=case_id),
        _request(app, _i("mentoring", 2), case_id=case_id),
    )
    work = Work(app)
    withdrawn = DecommissionCase(
        case_id=case_id,
        reason=DecommissionReason.CONSENT_WITHDRAWN,
        effective_from=TODAY,
        caller=SERVICE,
        correlation_id="c",
    )
    assert app.handle(withdrawn, work) == 2
    work.commit()
    assert {app.repository.get(p.id).status for p in (first, second)} == {"decommissioned"}


def test_two_requests_racing_for_the_last_place_have_exactly_one_winner(
    app: CommissioningApp,
) -> None:
    app.handle(
        RegisterProvider(
            spec=ProviderDetails.of(
                {
                    "provider_id": "last-place",
                    "name": "One place",
                    "kind": "pvi",
                    "services": ["respite"],
                    "districts": [],
                    "weekly_capacity": 1,
                    "unit_cost_pence": 1000,
                }
            ),
            caller=COMMISSIONER,
            correlation_id="c",
        )
    )
    a, b = Work(app), Work(app)  # two consumers, each reading before the other writes
    for work in (a, b):
        app.handle(_commission(_i("respite", 1)), work)
    a.commit()
    with pytest.raises(IntegrityError):
        b.commit()  # the store refuses the stale provider version; the consumer redoes the batch
    retry = Work(app)
    again = app.handle(_commission(_i("respite", 1)), retry)
    retry.commit()
    assert isinstance(again, Refusal) and again.reason == "no-capacity"
    assert _provider(app, "last-place").free == 0


def test_reports_show_spend_capacity_and_savings(app: CommissioningApp, settings: Settings) -> None:
    _request(app, _i(hours=4))
    _request(app, _i("therapy", 3), panel=Panel.EARP)
    engine = read_model_engine(settings, "commissioning")
    Projector(app, engine, REPORTS, project, "r").catch_up()
    spent = spend(engine, date(2027, 1, 4))
    assert {(r["financial_year"], r["panel"], r["provider_id"]) for r in spent} == {
        (year, panel, provider)
        for year in ("2026/27", "2027/28")  # open packages run on into next year
        for panel, provider in (("maag:harlow", "inhouse-west"), ("earp", "health-camhs"))
    }
    this_year = [r for r in spent if r["financial_year"] == "2026/27"]
    assert all(0 < r["to_date_pence"] < r["committed_pence"] for r in this_year)
    used = {r["provider_id"]: r["used"] for r in capacity(engine)}
    assert used["inhouse-west"] == 4 and used["health-camhs"] == 3
    saved = savings(engine, {"accommodation": 18_000_000}, date(2026, 12, 7), date(2027, 12, 6))
    (row,) = saved["rows"]  # the EARP's package; the MAAG's avoids nothing
    assert (row["panel"], row["packages"], row["cases"]) == ("earp", 1, 1)
    assert row["avoided_cost_pence"] == 18_000_000  # a whole year (365 days) avoided
    assert row["package_cost_pence"] == round(27000 * 365 / 7)
    assert "saved from 2026-12-07 to 2027-12-06" in saved["summary"]
    assert to_csv(spent).startswith("financial_year,panel")


def test_a_review_may_recommission_the_package_from_a_date(
    app: CommissioningApp, settings: Settings
) -> None:
    package = _request(app, _i(hours=4))
    assert isinstance(package, Package)
    before: int = app.repository.get(budget_uuid("maag:harlow", 2026)).committed
    changed = _review(
        app,
        package,
        "recommission",
        date(2027, 1, 4),
        [_i(hours=8), _i("family support", 2)],
    )
    assert changed.weekly_cost_pence == 35000 and changed.starts_on == date(2027, 1, 4)
    assert _provider(app, "inhouse-west").used == 10  # its old 4 hours given back, 10 taken
    assert app.repository.get(budget_uuid("maag:harlow", 2026)).committed > before
    from services.commissioning.adapters.translate import translate

    last = list(app.events.get(package.id))[-1]
    out = translate(last)
    assert out is not None and type(out.event).__name__ == "PackageCommissioned"
    engine = read_model_engine(settings, "commissioning")
    Projector(app, engine, REPORTS, project, "r").catch_up()
    (row,) = spend(engine, date(2027, 2, 1), 2026)
    assert row["lines"] == 3  # one line before the change, two after
    assert {r["used"] for r in capacity(engine) if r["provider_id"] == "inhouse-west"} == {10}


def test_a_package_is_reviewed_at_its_own_interval_however_many_reviews_there_are(
    app: CommissioningApp,
) -> None:
    package = _request(app, _i(hours=4))
    assert isinstance(package, Package)
    starts = package.starts_on
    weeks = (package.review_on - starts).days // 7
    reviewed_on = []
    for decision in ("continue", "continue", "recommission"):
        again = [_i(hours=4)] if decision == "recommission" else []
        _review(app, package, decision, date(2027, 1, 4), again)
        reviewed: Any = list(app.events.get(package.id))
        reviewed_on.append(next(e for e in reversed(reviewed) if type(e).__name__ == "Reviewed"))
    assert [date.fromisoformat(r.next_review_on) for r in reviewed_on] == [
        starts + timedelta(weeks=weeks * n) for n in (2, 3, 4)
    ]


def test_the_money_and_dates_of_a_package_are_the_domains_arithmetic() -> None:
    from services.commissioning.domain.rules import (
        Run,
        cost_in_fy,
        next_review_on,
        review_weeks,
        schedule_of,
    )

    starts, review = schedule_of(
        [
            _i(starts_on="2027-01-11", review_interval_weeks=12),
            _i(starts_on="2027-01-04", review_interval_weeks=6),
        ]
    )
    assert (starts, review) == (date(2027, 1, 4), date(2027, 2, 15))
    assert next_review_on(review, review_weeks(starts, review)) == date(2027, 3, 29)
    runs = [Run(date(2027, 1, 4), 7000), Run(date(2027, 3, 29), 14000)]
    # two weeks and a day in 2026/27 at the first rate... then the new rate past 31 March
    assert cost_in_fy(runs, None, 2026) == 12 * 7000 + round(3 / 7 * 14000)
    assert cost_in_fy(runs, None, 2027) == round(366 / 7 * 14000)  # 29 February 2028
    assert cost_in_fy(runs, date(2027, 1, 18), 2026) == 14000  # stopped after two weeks
    assert cost_in_fy(runs, date(2027, 1, 18), 2027) == 0


def _review_decided(package: Package, decision: str, **more: Any) -> Any:
    from contracts.events import Actor
    from contracts.events.panel import PackageReviewDecided, ReviewDecision

    return PackageReviewDecided(
        case_id=package.case_id,
        occurred_at=datetime(2027, 3, 2, 11, tzinfo=UTC),
        actor=Actor(user_id="chair-1", role=Role.PANEL_CHAIR, agency="social-care"),
        package_id=package.id,
        panel=Panel.MAAG,
        meeting_id=uuid.uuid4(),
        goals="partly",
        level_of_need_change=0,
        decision=ReviewDecision(decision),
        effective_from=date(2027, 3, 8),
        reason="the panel's review",
        **more,
    )


def _delivered(message: Any) -> Delivery[Any]:
    return Delivery(message, None, "t", 0, 0)


def test_commissioning_carries_out_the_panels_review(app: CommissioningApp) -> None:
    package = _request(app, _i(hours=4))
    assert isinstance(package, Package)
    for decision in ("continue", "decommission"):
        work = Work(app)
        on_package_review_decided(_delivered(_review_decided(package, decision)), work)
        work.commit()
    events = [type(e).__name__ for e in app.events.get(package.id)]
    assert events[-3:] == ["Reviewed", "Reviewed", "Decommissioned"]
    ended: Any = app.repository.get(package.id)
    assert ended.status != "active" and _provider(app, "inhouse-west").used == 0


def test_a_panel_recommission_that_cannot_be_met_goes_back_as_a_failure(
    app: CommissioningApp,
) -> None:
    package = _request(app, _i(hours=4))
    assert isinstance(package, Package)
    impossible = _i("equine therapy", 4, starts_on="2027-03-08")
    meetings = []
    for _ in range(2):  # the panel decides again at its next meeting, and fails again
        work = Work(app)
        decided = _review_decided(package, "recommission", interventions=[impossible])
        on_package_review_decided(_delivered(decided), work)
        work.commit()
        meetings.append(decided.meeting_id)
    assert [type(e).__name__ for e in app.events.get(package.id)] == ["Commissioned"]  # unchanged
    refusals: Any = [app.repository.get(Refusal.create_id(package.id, m)) for m in meetings]
    assert [r.reason for r in refusals] == ["no-capacity", "no-capacity"]


def _reports(app: CommissioningApp, settings: Settings) -> Any:
    engine = read_model_engine(settings, "commissioning")
    Projector(app, engine, REPORTS, project, "r").catch_up()
    return engine


def test_savings_count_a_package_once_while_it_is_active_through_a_recommission(
    app: CommissioningApp, settings: Settings
) -> None:
    case_id = uuid.uuid4()
    package = _request(
        app,
        _i("therapy", 2),
        panel=Panel.EARP,
        case_id=case_id,
        alternative_to=("accommodation", "school-exclusion"),
    )
    assert isinstance(package, Package)  # from 2026-12-07
    _review(app, package, "recommission", date(2027, 1, 4), [_i("therapy", 3)])
    _review(app, package, "decommission", date(2027, 2, 1), goals="met")  # last day 31 January
    # The same case escalated to the JAP, whose package avoids accommodation too, from
    # 2027-01-11: the days both are active count once.
    later = _i("therapy", 1, starts_on="2027-01-11")
    jap = _request(app, later, panel=Panel.JAP, case_id=case_id)
    assert isinstance(jap, Package)
    engine = _reports(app, settings)
    costs = {"accommodation": 36_500_000}  # £1,000 a day; school exclusion left unpriced
    december = savings(engine, costs, date(2026, 12, 1), date(2026, 12, 31))
    (earp,) = december["rows"]
    assert earp["avoided_days"] == 2 * 25  # 7-31 December, for each of its two outcomes
    assert earp["avoided_cost_pence"] == 25 * 100_000
    assert december["unpriced_outcomes"] == ["school-exclusion"]
    # The whole span: the EARP package 7 Dec - 31 Jan (56 days), then the JAP's from 1 Feb
    # to the period's end (the overlap from 11 Jan is the EARP's), one accommodation a day.
    span = savings(engine, costs, date(2026, 12, 1), date(2027, 2, 28))
    by_panel = {r["panel"]: r for r in span["rows"]}
    assert by_panel["earp"]["avoided_cost_pence"] == 56 * 100_000
    assert by_panel["jap"]["avoided_cost_pence"] == 28 * 100_000
    accommodation = next(o for o in span["outcomes"] if o["outcome"] == "accommodation")
    assert (accommodation["cases"], accommodation["days"]) == (1, 56 + 28)
    assert span["quadrants"] == [
        {
            "quadrant": "west",  # Harlow
            "avoided_cost_pence": span["avoided_cost_pence"],
            "package_cost_pence": span["package_cost_pence"],
            "saving_pence": span["saving_pence"],
        }
    ]
    # Before it started and after it ended: nothing.
    assert savings(engine, costs, date(2026, 11, 1), date(2026, 11, 30))["rows"] == []


def test_savings_reconcile_with_the_spend_report_and_the_budgets(
    app: CommissioningApp, settings: Settings
) -> None:
    package = _request(app, _i("therapy", 2), panel=Panel.EARP)
    assert isinstance(package, Package)
    _review(app, package, "recommission", date(2027, 1, 4), [_i("therapy", 3)])
    _review(app, package, "decommission", date(2027, 2, 1))
    other = _request(app, _i("therapy", 1), panel=Panel.JAP)
    assert isinstance(other, Package)
    engine = _reports(app, settings)
    year = savings(engine, {}, date(2026, 4, 1), date(2027, 3, 31))
    spent = spend(engine, TODAY, 2026)
    for panel in ("earp", "jap"):
        (row,) = [r for r in year["rows"] if r["panel"] == panel]
        assert row["package_cost_pence"] == sum(
            r["committed_pence"] for r in spent if r["panel"] == panel
        )
    # What the spend report says the stopped package cost is what its budget still holds.
    assert sum(r["committed_pence"] for r in spent if r["panel"] == "earp") == (
        _budget(app, "earp").committed
    )
    funders = _budget(app, "jap:childrens-services").committed + _budget(app, "jap:pct").committed
    assert sum(r["committed_pence"] for r in spent if r["panel"] == "jap") == funders


def test_maag_prevention_is_counted_apart_from_the_alternatives(
    app: CommissioningApp, settings: Settings
) -> None:
    # A MAAG package there to keep a child living at home, at school; another naming
    # nothing; an EARP alternative to accommodation. Prevention is never added to the
    # alternatives' figures, and what the county has not priced is said to be unpriced.
    _request(app, _i(hours=4), alternative_to=("leaving-home", "loss-of-school-place"))
    _request(app, _i(hours=2))
    _request(app, _i("therapy", 3), panel=Panel.EARP, alternative_to=("accommodation",))
    engine = _reports(app, settings)
    costs = {"accommodation": 36_500_000, "leaving-home": 18_250_000}
    saved = savings(engine, costs, date(2026, 12, 7), date(2026, 12, 13))  # one week
    assert [r["panel"] for r in saved["rows"]] == ["earp"]
    assert saved["avoided_cost_pence"] == 7 * 100_000
    prevention = saved["prevention"]
    (row,) = prevention["rows"]  # the MAAG package that names what it prevents; not the other
    assert (row["panel"], row["packages"], row["cases"]) == ("maag", 1, 1)
    assert prevention["avoided_cost_pence"] == 7 * 50_000  # leaving home, at £500 a day
    assert prevention["unpriced_outcomes"] == ["loss-of-school-place"]
    assert prevention["package_cost_pence"] == row["package_cost_pence"] > 0
    assert "MAAG prevention from 2026-12-07" in prevention["summary"]
    assert "loss-of-school-place unpriced" in prevention["summary"]


def test_the_case_lead_reads_its_packages_while_the_case_is_open(app: CommissioningApp) -> None:
    from maag.runtime.store.unit_of_work import NotFound
    from services.commissioning.application.commands.note_lead import NoteLead
    from services.commissioning.application.queries.package import package as read_package
    from services.commissioning.application.queries.packages_of_case import packages_of_case

    case_id = uuid.uuid4()
    bought = _request(app, _i(hours=4), case_id=case_id)
    assert isinstance(bought, Package)
    lead = Caller.of("lp-7", Role.LEAD_PROFESSIONAL, "education")
    with pytest.raises(NotFound):  # not (yet) its lead as commissioning knows: not told it exists
        packages_of_case(app, lead, case_id)

    def handled(command: NoteLead | DecommissionCase) -> None:
        work = Work(app)
        app.handle(command, work)
        work.commit()

    handled(NoteLead(case_id=case_id, professional_id="lp-7", caller=SERVICE, correlation_id="c"))
    assert [p.id for p in packages_of_case(app, lead, case_id)] == [bought.id]
    assert read_package(app, lead, bought.id).package.id == bought.id  # who delivers, when, cost
    with pytest.raises(NotFound):  # another lead professional
        packages_of_case(app, Caller.of("lp-8", Role.LEAD_PROFESSIONAL, "education"), case_id)
    closed = DecommissionCase(
        case_id=case_id,
        reason=DecommissionReason.CASE_CLOSED,
        effective_from=TODAY,
        caller=SERVICE,
        correlation_id="c",
    )
    handled(closed)
    with pytest.raises(NotFound):  # the case closed: the lead's reading ends with it
        packages_of_case(app, lead, case_id)


# --- budgets across financial years ---


def _set_budget(app: CommissioningApp, key: str, fy: int, pence: int) -> Budget:
    budget: Budget = app.handle(
        SetBudget(key=key, fy=fy, amount_pence=pence, caller=COMMISSIONER, correlation_id="c")
    )
    return budget


def _held(app: CommissioningApp, key: str, fy: int) -> int:
    budget: Any = app.repository.get(budget_uuid(key, fy))
    assert isinstance(budget, Budget)
    return budget.committed


def test_a_package_running_past_31_march_is_held_in_each_years_budget_its_part(
    app: CommissioningApp, settings: Settings
) -> None:
    app.today = lambda: date(2027, 2, 1)
    _set_budget(app, "maag:harlow", 2027, 50_000_000)  # next year's, set before it starts
    package = _request(app, _i(hours=4, starts_on="2027-03-01"))
    assert isinstance(package, Package) and package.weekly_cost_pence == 14000
    assert _held(app, "maag:harlow", 2026) == round(31 / 7 * 14000)  # March
    assert _held(app, "maag:harlow", 2027) == round(366 / 7 * 14000)  # the whole next year
    spent = spend(_reports(app, settings), date(2027, 2, 1))
    by_year = {r["financial_year"]: r["committed_pence"] for r in spent}
    assert by_year == {"2026/27": round(31 / 7 * 14000), "2027/28": round(366 / 7 * 14000)}


def test_a_new_years_budget_takes_on_each_package_running_into_it_its_share(
    app: CommissioningApp,
) -> None:
    maag = _request(app, _i(hours=4))
    jap = _request(app, _i("therapy", 2), panel=Panel.JAP)
    assert isinstance(maag, Package) and isinstance(jap, Package)
    refused = pytest.raises(CommissioningRefused, match=r"£7,320\.00 is owed in 2027/28 to 1")
    with refused:
        _set_budget(app, "maag:harlow", 2027, 100)  # less than the running package needs
    assert _set_budget(app, "maag:harlow", 2027, 1_000_000).committed == maag.cost_in(2027)
    pct = _set_budget(app, "jap:pct", 2027, 10_000_000)
    assert pct.committed == jap.share_in("jap:pct", 2027) == round(jap.cost_in(2027) * 0.4)
    # the other funder's part is held when its budget is set, not before
    assert budget_uuid("jap:childrens-services", 2027) not in app.repository


def test_after_31_march_a_change_and_a_stop_are_charged_to_the_new_year_only(
    app: CommissioningApp,
) -> None:
    package = _request(app, _i(hours=4))
    assert isinstance(package, Package)
    _set_budget(app, "maag:harlow", 2027, 5_000_000)
    last_year = _held(app, "maag:harlow", 2026)
    app.today = lambda: date(2027, 5, 3)
    _review(app, package, "recommission", date(2027, 5, 3), [_i(hours=6)])
    assert _held(app, "maag:harlow", 2026) == last_year  # a closed year's spend stands
    four, six = round(32 / 7 * 14000), round(334 / 7 * 21000)  # April to 2 May, then 6 hours
    assert _held(app, "maag:harlow", 2027) == four + six
    _review(app, package, "decommission", date(2027, 6, 7))
    assert _held(app, "maag:harlow", 2027) == four + round(35 / 7 * 21000)  # to 6 June
    assert _held(app, "maag:harlow", 2026) == last_year


@pytest.mark.parametrize(
    ("fy", "rule"),
    [(2026, r"2026/27 closed on 2027-03-31"), (2029, r"may be set for 2027/28 or 2028/29")],
)
def test_a_budget_for_a_closed_year_or_one_not_yet_open_is_refused(
    app: CommissioningApp, fy: int, rule: str
) -> None:
    app.today = lambda: date(2027, 4, 2)
    with pytest.raises(CommissioningRefused, match=rule):
        _set_budget(app, "earp", fy, 1)
    assert _held(app, "earp", 2026) == 0
    assert fy == 2026 or budget_uuid("earp", fy) not in app.repository


def test_a_change_before_the_last_one_and_a_start_no_budget_can_hold_are_refused(
    app: CommissioningApp,
) -> None:
    package = _request(app, _i(hours=4))
    assert isinstance(package, Package)
    _review(app, package, "recommission", date(2027, 2, 1), [_i(hours=6)])
    held = _held(app, "maag:harlow", 2026)
    work = Work(app)
    refused = app.handle(
        ReviewPackage(
            package_id=package.id,
            case_id=package.case_id,
            panel=package.panel,
            goals=ReviewOutcome.PARTLY,
            level_of_need_change=0,
            decision=ReviewDecision.RECOMMISSION,
            effective_from=date(2027, 1, 1),  # before the change of 1 February
            interventions=(_i(hours=2),),
            meeting_id=uuid.uuid4(),
            caller=SERVICE,
            correlation_id="c",
        ),
        work,
    )
    work.commit()
    assert isinstance(refused, Refusal) and refused.reason == "before-last-change"
    assert "effective_from: 2027-01-01" in refused.detail
    assert _held(app, "maag:harlow", 2026) == held  # nothing charged twice
    far = _request(app, _i(hours=1, starts_on="2028-06-05"))  # 2028/29: no budget may be set
    assert isinstance(far, Refusal) and far.reason == "no-budget"
    assert "starts_on: no budget may be set yet for 2028/29" in far.detail


def test_a_new_years_budget_marks_the_one_it_carried_from(app: CommissioningApp) -> None:
    _request(app, _i(hours=4))
    _set_budget(app, "maag:harlow", 2027, 5_000_000)
    last_year: Any = app.repository.get(budget_uuid("maag:harlow", 2026))
    (carried,) = [e for e in app.events.get(last_year.id) if isinstance(e, Budget.Carried)]
    assert carried.into_fy == 2027  # a commissioning racing the new budget conflicts on it
