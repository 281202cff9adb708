"""The boards' report: its figures from facts, the projection's fold (republished events
count once, a hostile record is set aside, events of a case arrive in any order), and the
HTTP report's refusals."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import ConsumerRecord
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from contracts.envelope import Envelope
from contracts.events import IntegrationEvent
from contracts.events.commissioning import (
    CommissionedIntervention,
    PackageCommissioned,
    PackageReviewed,
    ReviewOutcome,
)
from contracts.events.panel import CaseJoined, CaseListed
from contracts.events.referral import (
    ChildMatchConfirmed,
    ReferralAccepted,
    ReferralDeclined,
    ReferralReceived,
)
from contracts.reference import Agency, District, LevelOfNeed, Panel, Role
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from services.commissioning.adapters.boards import BoardFeed
from services.commissioning.adapters.http import create_api
from services.commissioning.application.app import CommissioningApp
from services.commissioning.application.queries.board_report import load
from services.commissioning.domain.boards import (
    MILESTONES,
    Case,
    Fact,
    Grouping,
    _Tally,
    median,
    percentile,
    report,
    rows,
)
from tests.support import identity
from tests.support.boards_year import SYSTEM
from tests.support.identity import auth, verifier

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)


@given(st.lists(st.integers(0, 400), min_size=1))
def test_the_90th_percentile_is_the_nearest_rank(values: list[int]) -> None:
    found = percentile(values, 90)
    ordered = sorted(values)
    at_or_below = sum(v <= found for v in ordered)  # type: ignore[operator]
    assert at_or_below >= 0.9 * len(ordered)
    assert sum(v < found for v in ordered) < 0.9 * len(ordered)  # type: ignore[operator]


def test_medians() -> None:
    assert median([3, 1, 2]) == 2 and median([1, 2, 3, 10]) == 2.5 and median([]) is None


def test_figures_from_facts_by_area_and_period() -> None:
    cases = [
        Case("a", "harlow", T0, "accepted", "ok", 3, "maag", listed=T0 + timedelta(days=4)),
        Case("b", "harlow", T0, "declined", "universal services only"),
        Case("c", "tendring", T0 - timedelta(days=400), "accepted", "ok", 2, "earp"),
        Case("d", "basildon", T0, "accepted", "ok", 3, "maag", joined=True),
    ]
    facts = [
        Fact("escalated", "c", T0, {}),
        Fact("reviewed", "a", T0, {"goals": "partly"}),
        Fact("plan-reviewed", "a", T0, {"met": 2, "partly": 1, "not-met": 0}),
        Fact(
            "commissioned",
            "a",
            T0,
            {
                "package_id": "p1",
                "starts_on": "2026-06-01",
                "alternative_to": ["accommodation"],
                "interventions": [{"provider_id": "pvi-1", "service": "mentoring"}],
            },
        ),
        Fact("decommissioned", "a", T0, {"package_id": "p1", "effective_from": "2026-06-10"}),
    ]
    found = report(cases, facts, date(2026, 4, 1), date(2027, 3, 31))
    west = found["areas"]["west-essex"]
    assert west["referrals"]["received"] == 2
    assert west["referrals"]["declined_by_reason"] == {"universal services only": 1}
    assert west["days_from_referral"]["listed"] == {"cases": 1, "median": 4.0, "p90": 4}
    assert west["open_cases_by_tier_and_level"] == {"maag/level-3": 1}
    assert west["review_outcomes"] == {"met": 0, "partly": 1, "not-met": 0}
    assert west["plan_reviews"] == 1
    assert west["plan_goals_at_review"] == {"met": 2, "partly": 1, "not-met": 0}
    assert west["interventions_by_provider_and_service"] == {"pvi-1/mentoring": 1}
    # from the start to the day before the decommission: the savings model's days
    assert west["placements_avoided"] == {"accommodation": {"days": 9, "children": 1}}
    north_east = found["areas"]["north-east-essex"]
    assert north_east["referrals"]["received"] == 0  # received the year before
    assert north_east["step_ups"] == 1 and north_east["open_cases_by_tier_and_level"]
    assert found["areas"]["south-west-essex"]["open_cases_by_tier_and_level"] == {}  # joined
    assert found["areas"]["county"]["referrals"]["received"] == 3
    quadrants = report(cases, facts, date(2026, 4, 1), date(2027, 3, 31), Grouping.QUADRANT)
    assert set(quadrants["areas"]) == {"west", "north-east", "south", "county"}
    assert {"area": "west-essex", "figure": "step_ups", "value": 0} in rows(found)


def _record(event: IntegrationEvent, offset: int, event_id: str | None = None) -> Any:
    envelope = Envelope(
        id=event_id or str(uuid.uuid4()),
        source="/maag/test",
        type=event.TYPE,
        time=event.occurred_at,
        subject=event.subject,
        correlation_id="c",
        causation_id=None,
        actor=event.actor,
        sequence=offset + 1,
    )
    return ConsumerRecord(
        "t",
        0,
        offset,
        0,
        0,
        event.subject.encode(),
        event.model_dump_json().encode(),
        None,
        0,
        0,
        envelope.headers(),
    )


def _feed(tmp_path: Path) -> BoardFeed:
    settings = Settings(data_dir=tmp_path)
    return BoardFeed(read_model_engine(settings, "commissioning"), "127.0.0.1:1", ["t"], {})


def _received(case: uuid.UUID) -> ReferralReceived:
    return ReferralReceived(
        case_id=case,
        occurred_at=T0,
        actor=SYSTEM,
        caf_reference="CAF-2026-000001",
        referring_agency=Agency.EDUCATION,
        referring_professional_id="t",
        district=District.HARLOW,
        needs=["learning"],
        agencies_requested=[],
        level_of_need=LevelOfNeed.INTENSIVE,
        significant_harm_concern=False,
        transition=False,
    )


def test_the_fold_counts_a_republished_event_once_and_sets_a_hostile_record_aside(
    tmp_path: Path,
) -> None:
    feed = _feed(tmp_path)
    case = uuid.uuid4()
    listed = CaseListed(
        case_id=case,
        occurred_at=T0 + timedelta(days=2),
        actor=SYSTEM,
        panel=Panel.MAAG,
        district=District.HARLOW,
        meeting_id=uuid.uuid4(),
        meeting_starts_at=T0,
        reason="new referral",
    )
    accepted = ReferralAccepted(
        case_id=case,
        occurred_at=T0 + timedelta(minutes=1),
        actor=SYSTEM,
        district=District.HARLOW,
        panel=Panel.MAAG,
        level_of_need=LevelOfNeed.INTENSIVE,
        agencies_requested=[],
        reason="ok",
    )
    hostile: Any = ConsumerRecord(
        "t", 0, 2, 0, 0, b"k", b"\x00", None, 0, 0, [("ce_type", b"\xff")]
    )
    # the listing arrives first (another topic), the acceptance twice (republished)
    feed.apply([_record(listed, 0), _record(accepted, 1), hostile, _record(accepted, 3)])
    feed.apply([_record(_received(case), 4)])
    feed.apply([_record(_received(case), 4)])  # redelivered: passed over
    (only,), _ = load(feed.engine)
    assert only.outcome == "accepted"
    assert only.listed is not None and only.listed.replace(tzinfo=UTC) == listed.occurred_at
    assert only.received is not None
    later = ReferralDeclined(
        case_id=case, occurred_at=T0, actor=SYSTEM, reason="earlier", signposting="x"
    )
    feed.apply([_record(later, 5)])  # an older outcome does not replace a newer one
    (only,), _ = load(feed.engine)
    assert only.outcome == "accepted"
    joined = CaseJoined(
        case_id=case, occurred_at=T0, actor=SYSTEM, panel=Panel.MAAG, into_case_id=uuid.uuid4()
    )
    feed.apply([_record(joined, 6)])
    (only,), _ = load(feed.engine)
    assert only.joined and not only.open
    with feed.engine.connect() as conn:
        from services.commissioning.application.tables import skipped

        (aside,) = conn.execute(skipped.select()).mappings().all()
    assert aside["offset"] == 2 and "ce_type" in aside["reason"]


def test_a_report_period_that_ends_before_it_starts_is_refused_naming_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, **identity.settings())
    app = CommissioningApp(settings)
    engine = read_model_engine(settings, "commissioning")
    api = create_api(app, verifier(), engine, settings, lambda: {"store": True, "broker": True})
    client = TestClient(api, raise_server_exceptions=False)
    commissioner = auth(Role.COMMISSIONER, "childrens-services", "comm-1")
    r = client.get(
        "/reports/boards", params={"from": "2027-01-02", "to": "2027-01-01"}, headers=commissioner
    )
    assert r.status_code == 422 and "to" in r.text and "before" in r.text
    r = client.get("/reports/boards", params={"by": "county-hall"}, headers=commissioner)
    assert r.status_code == 422 and "by" in r.text
    r = client.get("/reports/boards", headers=commissioner)
    assert r.status_code == 200 and r.json()["areas"] == {}
    assert client.get("/reports/boards.csv", headers=commissioner).status_code == 200
    assert client.get("/reports/boards", headers=auth()).status_code == 403


def test_a_recommissioned_package_counts_once() -> None:
    line = {"provider_id": "pvi-1", "service": "mentoring"}
    detail = {
        "package_id": "p1",
        "starts_on": "2026-06-01",
        "alternative_to": [],
        "interventions": [line],
    }
    facts = [
        Fact("commissioned", "a", T0, detail),
        Fact("commissioned", "a", T0 + timedelta(days=90), {**detail, "starts_on": "2026-09-01"}),
    ]
    found = report(
        [Case("a", "harlow", T0, "accepted")], facts, date(2026, 4, 1), date(2027, 3, 31)
    )
    assert found["areas"]["county"]["packages_commissioned"] == 1


def test_the_boards_reconcile_with_commissionings_own_packages(tmp_path: Path) -> None:
    from maag.runtime.follow.projection import create_tables
    from services.commissioning.application import tables
    from services.commissioning.application.queries.board_reconciliation import reconcile

    feed = _feed(tmp_path)
    create_tables(tables.REPORTS, feed.engine)
    case, package = uuid.uuid4(), uuid.uuid4()
    commissioned = PackageCommissioned(
        case_id=case,
        occurred_at=T0,
        actor=SYSTEM,
        package_id=package,
        panel=Panel.MAAG,
        interventions=[
            CommissionedIntervention(service="mentoring", provider_id="pvi-1", weekly_cost_pence=1)
        ],
        weekly_cost_pence=1,
        starts_on=T0.date(),
        review_on=T0.date(),
    )
    feed.apply([_record(_received(case), 0), _record(commissioned, 1)])
    row = {
        "period_id": f"{package}:1",
        "package_id": str(package),
        "case_id": str(case),
        "panel": "maag",
        "panel_key": "maag:harlow",
        "district": "harlow",
        "fy": 2026,
        "weekly_cost_pence": 1,
        "starts_on": T0.date(),
        "status": "active",
    }
    with feed.engine.begin() as conn:
        conn.execute(tables.packages.insert(), [row])
    assert reconcile(feed.engine) == {
        "packages_by_district": {"harlow": {"boards": 1, "commissioning": 1}},
        "agree": True,
    }
    with feed.engine.begin() as conn:  # a package the boards never heard of
        conn.execute(
            tables.packages.insert(),
            [{**row, "period_id": "other:1", "package_id": str(uuid.uuid4())}],
        )
    assert reconcile(feed.engine)["agree"] is False


def test_what_maag_packages_prevent_is_reported_apart_from_the_alternatives() -> None:
    cases = [Case("a", "harlow", T0, "accepted", "ok", 3, "maag")]
    maag = {
        "package_id": "p1",
        "panel": "maag",
        "starts_on": "2026-06-01",
        "alternative_to": ["leaving-home"],
        "interventions": [],
    }
    earp = {**maag, "package_id": "p2", "panel": "earp", "alternative_to": ["accommodation"]}
    facts = [
        Fact("commissioned", "a", T0, maag),
        Fact("commissioned", "a", T0, earp),
        Fact("decommissioned", "a", T0, {"package_id": "p1", "effective_from": "2026-06-11"}),
        Fact("decommissioned", "a", T0, {"package_id": "p2", "effective_from": "2026-06-06"}),
    ]
    county = report(cases, facts, date(2026, 4, 1), date(2027, 3, 31))["areas"]["county"]
    assert county["prevented_by_maag"] == {"leaving-home": {"days": 10, "children": 1}}
    assert county["placements_avoided"] == {"accommodation": {"days": 5, "children": 1}}


def test_closures_are_counted_with_where_the_children_stood() -> None:
    cases = [
        Case("a", "harlow", T0, "accepted", "ok", 3, "maag", closed=T0),
        Case("b", "harlow", T0, "accepted", "ok", 3, "maag", closed=T0),
    ]
    facts = [
        Fact("closed", "a", T0, {"outcomes": ["living-at-home", "in-local-school"]}),
        Fact("closed", "b", T0, {"outcomes": []}),  # closed before outcomes were recorded
    ]
    west = report(cases, facts, date(2026, 4, 1), date(2027, 3, 31))["areas"]["west-essex"]
    assert west["closures"] == 2
    assert west["outcomes_at_closure"] == {
        "living-at-home": 1,
        "in-local-school": 1,
        "in-county": 0,
        "stepped-down-to-universal-services": 0,
        "taken-on-by-social-care": 0,
    }


def test_the_re_referral_rate_counts_referrals_whose_child_was_referred_before(
    tmp_path: Path,
) -> None:
    feed = _feed(tmp_path)
    cases = [uuid.uuid4() for _ in range(4)]
    earlier = uuid.uuid4()  # received before the period: not counted, even if matched
    feed.apply([_record(_received(c), n) for n, c in enumerate([*cases, earlier])])
    for n, c in enumerate((cases[0], earlier)):
        matched = ChildMatchConfirmed(
            case_id=c,
            occurred_at=T0 + timedelta(days=40),  # confirmed later: still a re-referral
            actor=SYSTEM,
            child_id=uuid.uuid4(),
            previous_child_id=uuid.uuid4(),
        )
        feed.apply([_record(matched, 10 + n), _record(matched, 10 + n)])  # republished: once
    found, known = load(feed.engine)
    for row in found:
        if row.case_id == str(earlier):
            row.received = T0 - timedelta(days=400)
    county = report(found, known, T0.date(), T0.date() + timedelta(days=30))["areas"]["county"]
    referrals = county["referrals"]
    assert (referrals["received"], referrals["re_referrals"]) == (4, 1)
    assert referrals["re_referral_percent"] == 25.0


def test_an_areas_tally_is_its_districts_summed_field_for_field() -> None:
    full = _Tally(
        received=2,
        re_referrals=1,
        outcomes=Counter({"accepted": 2}),
        declined_by_reason=Counter({"out of area": 1}),
        days={m: [n] for n, m in enumerate(MILESTONES)},
        open_cases=Counter({"maag/level-3": 1}),
        moves=Counter({"escalated": 1}),
        reviews=Counter({"met": 1}),
        plan_reviews=1,
        plan_goals=Counter({"partly": 2}),
        packages=1,
        interventions=Counter({"pvi-1/mentoring": 1}),
        avoided_days=Counter({"accommodation": 3}),
        avoided_children={"accommodation": {"a"}},
        prevented_days=Counter({"leaving-home": 2}),
        closures=1,
        closure_outcomes=Counter({"in-county": 1}),
        prevented_children={"leaving-home": {"b"}},
    )
    # every figure is set: one the sum leaves out is caught
    assert all(getattr(full, f.name) != getattr(_Tally(), f.name) for f in fields(_Tally))
    total = _Tally()
    total.add(full)
    assert total == full
    total.add(full)
    assert total.received == 4 and total.plan_goals == Counter({"partly": 4})
    assert total.days == {m: [n, n] for n, m in enumerate(MILESTONES)}
    assert total.avoided_children == {"accommodation": {"a"}}  # the same child once


def test_a_cases_level_is_moved_by_its_reviews_within_one_to_four(tmp_path: Path) -> None:
    feed = _feed(tmp_path)
    moves = {"up-past-4": [1, 1], "down-past-1": [-1, -3], "none": [], "by-nothing": [0]}
    ids = {name: uuid.uuid4() for name in moves}
    records = []
    for name, case in ids.items():
        accepted = ReferralAccepted(
            case_id=case,
            occurred_at=T0,
            actor=SYSTEM,
            district=District.HARLOW,
            panel=Panel.MAAG,
            level_of_need=LevelOfNeed.INTENSIVE,
            agencies_requested=[],
            reason="ok",
        )
        records += [_received(case), accepted]
        records += [
            PackageReviewed(
                case_id=case,
                occurred_at=T0 + timedelta(days=42),
                actor=SYSTEM,
                package_id=uuid.uuid4(),
                goals=ReviewOutcome.MET,
                level_of_need_change=change,
                decision="continue",
            )
            for change in moves[name]
        ]
    feed.apply([_record(event, n) for n, event in enumerate(records)])
    found, known = load(feed.engine)
    level = {c.case_id: c.level for c in found}
    assert {name: level[str(case)] for name, case in ids.items()} == {
        "up-past-4": 4,
        "down-past-1": 1,
        "none": 3,
        "by-nothing": 3,
    }
    county = report(found, known, date(2026, 4, 1), date(2027, 3, 31))["areas"]["county"]
    assert county["open_cases_by_tier_and_level"] == {
        "maag/level-1": 1,
        "maag/level-3": 2,
        "maag/level-4": 1,
    }
