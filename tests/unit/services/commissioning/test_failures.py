"""Failed commissioning: each refused request kept in its own read model until it is dealt
with (the panel's new decision met or refused too, or the case ended), projected from the
store's beginning and unchanged by an event met again; the read for commissioners, auditors
and the panels that agreed each, overdue after two working days; the route."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from contracts.events.commissioning import DecommissionReason, ReviewOutcome
from contracts.events.panel import ReviewDecision
from contracts.reference import Panel, Role
from maag.runtime.evidence.reads import CaseRead
from maag.runtime.follow.projection import Projector, read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller, Forbidden
from services.commissioning.adapters.failures import project_failures
from services.commissioning.adapters.http import create_api
from services.commissioning.application.app import CommissioningApp
from services.commissioning.application.commands import SERVICE
from services.commissioning.application.commands.commission_package import CommissionPackage
from services.commissioning.application.commands.decommission_case import DecommissionCase
from services.commissioning.application.commands.review_package import ReviewPackage
from services.commissioning.application.commands.set_capacity import SetCapacity
from services.commissioning.application.queries.failures import failures
from services.commissioning.application.tables import FAILURES
from services.commissioning.application.tables import failures as table
from services.commissioning.domain.aggregates import Package, Refusal
from services.commissioning.domain.rules import deal_with_by, remedy_of
from services.commissioning.domain.values import FundingSplit, Intervention, Remedy
from tests.support import identity
from tests.support.identity import auth, verifier

TODAY = date(2026, 11, 27)
COMMISSIONER = Caller.of("c-1", Role.COMMISSIONER, "childrens-services")
AUDITOR = Caller.of("a-1", Role.AUDITOR, "county-audit")


def _sitting(*districts: str) -> Caller:
    return Caller.of("pm-1", Role.PANEL_MEMBER, "social-care", districts, ("maag",))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, **identity.settings())


@pytest.fixture
def app(settings: Settings) -> CommissioningApp:
    app = CommissioningApp(settings)
    app.today = lambda: TODAY
    app.seed(TODAY)
    return app


@pytest.fixture
def engine(settings: Settings) -> Engine:
    return read_model_engine(settings, "commissioning")


def _catch_up(app: CommissioningApp, engine: Engine, name: str = "failures") -> None:
    Projector(app, engine, FAILURES, project_failures, name).catch_up()


def _i(service: str, hours: float = 2, starts_on: str = "2026-12-07") -> Intervention:
    return Intervention.model_validate(
        {
            "service": service,
            "hours_per_week": hours,
            "starts_on": starts_on,
            "review_interval_weeks": 12,
            "estimated_weekly_cost_pence": 0,
        }
    )


def _request(
    app: CommissioningApp,
    case_id: uuid.UUID,
    meeting_id: uuid.UUID,
    *interventions: Intervention,
    district: str = "harlow",
) -> Package | Refusal:
    """The panel's `PackageRequested`, as its policy dispatches it."""
    work = Work(app)
    result: Package | Refusal = app.handle(
        CommissionPackage(
            package_id=uuid.uuid4(),
            case_id=case_id,
            panel=Panel.MAAG,
            district=district,
            interventions=interventions,
            alternative_to=(),
            funding_split=FundingSplit(),
            meeting_id=meeting_id,
            caller=SERVICE,
            correlation_id="c",
        ),
        work,
    )
    work.commit()
    return result


def _review(
    app: CommissioningApp,
    package: Package,
    decision: str,
    meeting_id: uuid.UUID,
    *interventions: Intervention,
) -> Package | Refusal | None:
    work = Work(app)
    result: Package | Refusal | None = app.handle(
        ReviewPackage(
            package_id=package.id,
            case_id=package.case_id,
            panel=package.panel,
            goals=ReviewOutcome.PARTLY,
            level_of_need_change=0,
            decision=ReviewDecision(decision),
            effective_from=date(2027, 1, 4),
            interventions=interventions,
            meeting_id=meeting_id,
            caller=SERVICE,
            correlation_id="c",
        ),
        work,
    )
    work.commit()
    return result


def _rows(engine: Engine) -> dict[str, dict[str, Any]]:
    with Session(engine) as session:
        found = session.execute(select(table)).mappings().all()
    return {r["failure_id"]: dict(r) for r in found}


def _open(engine: Engine) -> dict[str, str | None]:
    """Each refusal's id -> how it was dealt with (None: not yet)."""
    return {k: r["dealt_with"] for k, r in _rows(engine).items()}


def test_a_refused_package_is_kept_with_why_when_its_panel_and_district(
    app: CommissioningApp, engine: Engine
) -> None:
    case_id, meeting = uuid.uuid4(), uuid.uuid4()
    refusal = _request(app, case_id, meeting, _i("astrophysics"))
    assert isinstance(refusal, Refusal)
    _catch_up(app, engine)
    (row,) = _rows(engine).values()
    assert row["failure_id"] == str(refusal.id) and row["package_id"] == str(refusal.package_id)
    assert (row["case_id"], row["panel"], row["district"]) == (str(case_id), "maag", "harlow")
    assert (row["meeting_id"], row["review"], row["reason"]) == (str(meeting), False, "no-capacity")
    assert "'astrophysics'" in row["detail"] and row["dealt_with"] is None
    (seen,) = failures(app, COMMISSIONER, engine)
    assert (seen.case_id, seen.package_id, seen.district) == (case_id, refusal.package_id, "harlow")
    assert seen.remedy is Remedy.CAPACITY and seen.meeting_id == meeting and not seen.review


def test_an_event_met_again_changes_nothing_and_a_rebuild_is_the_same(
    app: CommissioningApp, engine: Engine, settings: Settings
) -> None:
    case_id, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    _request(app, case_id, first, _i("astrophysics"))
    _request(app, case_id, first, _i("family support"))  # beside it: not the panel again
    later = _request(app, uuid.uuid4(), second, _i("astrophysics"))
    _catch_up(app, engine)
    before = _rows(engine)
    # every event delivered again, in order (a redelivery, or a rebuild over the same table)
    with Session(engine) as session, session.begin():
        for n in app.notifications(0, 10_000):
            project_failures(app.mapper.to_domain_event(n), session)
    assert _rows(engine) == before
    # from the store's beginning, into a new database: the same rows
    elsewhere = read_model_engine(Settings(data_dir=settings.data_dir / "again"), "commissioning")
    _catch_up(app, elsewhere, "rebuilt")
    assert _rows(elsewhere) == before
    assert isinstance(later, Refusal) and _open(engine)[str(later.id)] is None


def test_an_older_event_met_again_never_settles_a_newer_refusal(
    app: CommissioningApp, engine: Engine
) -> None:
    case_id = uuid.uuid4()
    bought = _request(app, case_id, uuid.uuid4(), _i("family support"))
    refused = _request(app, case_id, uuid.uuid4(), _i("astrophysics"))
    assert isinstance(bought, Package) and isinstance(refused, Refusal)
    _catch_up(app, engine)
    (commissioned,) = [e for e in app.events.get(bought.id) if isinstance(e, Package.Commissioned)]
    with Session(engine) as session, session.begin():
        project_failures(commissioned, session)  # delivered again, after the refusal
    assert _open(engine) == {str(refused.id): None}


def test_the_panels_new_decision_met_deals_with_it_but_not_a_package_agreed_beside_it(
    app: CommissioningApp, engine: Engine
) -> None:
    case_id, agreed, next_meeting = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    refused = _request(app, case_id, agreed, _i("astrophysics"))
    _request(app, case_id, agreed, _i("family support"))  # the same meeting's other package
    _request(app, uuid.uuid4(), next_meeting, _i("family support"))  # another case's
    _catch_up(app, engine)
    assert isinstance(refused, Refusal) and _open(engine) == {str(refused.id): None}
    assert isinstance(_request(app, case_id, next_meeting, _i("mentoring")), Package)
    _catch_up(app, engine)
    assert _open(engine) == {str(refused.id): "commissioned"}
    assert failures(app, COMMISSIONER, engine) == []


def test_the_panels_new_decision_refused_too_replaces_it(
    app: CommissioningApp, engine: Engine
) -> None:
    case_id, agreed, next_meeting = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = _request(app, case_id, agreed, _i("astrophysics"))
    beside = _request(app, case_id, agreed, _i("equine therapy"))  # both refused at one meeting
    _catch_up(app, engine)
    assert _open(engine) == {str(first.id): None, str(beside.id): None}
    again = _request(app, case_id, next_meeting, _i("astrophysics"))
    _catch_up(app, engine)
    assert _open(engine) == {
        str(first.id): "asked-again",
        str(beside.id): "asked-again",
        str(again.id): None,
    }
    assert [f.failure_id for f in failures(app, COMMISSIONER, engine)] == [again.id]


def test_a_refused_review_is_dealt_with_when_its_package_is_reviewed_again_or_ends(
    app: CommissioningApp, engine: Engine
) -> None:
    packages = []
    for _ in range(3):
        package = _request(app, uuid.uuid4(), uuid.uuid4(), _i("family support", 4))
        assert isinstance(package, Package)
        packages.append(package)
    impossible = _i("equine therapy", 4, starts_on="2027-01-04")
    refusals = []
    for package in packages:
        refusal = _review(app, package, "recommission", uuid.uuid4(), impossible)
        assert isinstance(refusal, Refusal)
        refusals.append(refusal)
    # a fourth refusal of the first package's review at a later meeting replaces the first
    newer = _review(app, packages[0], "recommission", uuid.uuid4(), impossible)
    assert isinstance(newer, Refusal)
    _catch_up(app, engine)
    (seen, *_) = [f for f in failures(app, COMMISSIONER, engine) if f.package_id == packages[1].id]
    assert seen.review and seen.remedy is Remedy.CAPACITY
    assert _open(engine)[str(refusals[0].id)] == "asked-again"
    _review(app, packages[0], "continue", uuid.uuid4())
    _review(app, packages[1], "recommission", uuid.uuid4(), _i("family support", 2))
    _review(app, packages[2], "decommission", uuid.uuid4())
    _catch_up(app, engine)
    assert _open(engine) == {
        str(refusals[0].id): "asked-again",
        str(newer.id): "continued",
        str(refusals[1].id): "recommissioned",
        str(refusals[2].id): "ended",
    }


@pytest.mark.parametrize(
    ("reason", "how"),
    [
        (DecommissionReason.CASE_CLOSED, "case-closed"),
        (DecommissionReason.CONSENT_WITHDRAWN, "consent-withdrawn"),
    ],
)
def test_a_case_closed_or_its_consent_withdrawn_deals_with_its_refusals(
    app: CommissioningApp, engine: Engine, reason: DecommissionReason, how: str
) -> None:
    case_id = uuid.uuid4()
    refused = _request(app, case_id, uuid.uuid4(), _i("astrophysics"))  # the case has no package
    other = _request(app, uuid.uuid4(), uuid.uuid4(), _i("astrophysics"))
    work = Work(app)
    ended = DecommissionCase(
        case_id=case_id, reason=reason, effective_from=TODAY, caller=SERVICE, correlation_id="c"
    )
    app.handle(ended, work)
    work.commit()
    _catch_up(app, engine)
    assert _open(engine) == {str(refused.id): how, str(other.id): None}


def test_more_capacity_alone_does_not_deal_with_it_the_panel_decides_again(
    app: CommissioningApp, engine: Engine
) -> None:
    case_id, agreed = uuid.uuid4(), uuid.uuid4()
    app.handle(
        SetCapacity(
            provider_id="pvi-12", weekly_capacity=0, caller=COMMISSIONER, correlation_id="c"
        )
    )
    refused = _request(app, case_id, agreed, _i("mentoring"))
    assert isinstance(refused, Refusal) and refused.reason == "no-capacity"
    app.handle(
        SetCapacity(
            provider_id="pvi-12", weekly_capacity=80, caller=COMMISSIONER, correlation_id="c"
        )
    )
    _catch_up(app, engine)
    assert [f.failure_id for f in failures(app, COMMISSIONER, engine)] == [refused.id]
    assert isinstance(_request(app, case_id, uuid.uuid4(), _i("mentoring")), Package)
    _catch_up(app, engine)
    assert _open(engine) == {str(refused.id): "commissioned"}


def test_overdue_after_two_working_days_the_oldest_first_and_overdue_before_the_rest() -> None:
    friday, saturday = date(2026, 11, 27), date(2026, 11, 28)
    assert deal_with_by(date(2026, 11, 23)) == date(2026, 11, 25)  # Monday: by Wednesday
    assert deal_with_by(friday) == date(2026, 12, 1)  # by Tuesday
    assert deal_with_by(saturday) == date(2026, 12, 1)
    assert remedy_of("over-budget") is remedy_of("no-budget") is Remedy.BUDGET
    assert remedy_of("no-funding-split") is remedy_of("anything new") is Remedy.PANEL


def test_the_read_says_overdue_by_the_countys_day(app: CommissioningApp, engine: Engine) -> None:
    old = _request(app, uuid.uuid4(), uuid.uuid4(), _i("astrophysics"))
    new = _request(app, uuid.uuid4(), uuid.uuid4(), _i("astrophysics"))
    _catch_up(app, engine)
    with Session(engine) as session, session.begin():
        moved = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # Friday evening (UTC = GMT)
        session.execute(
            table.update().where(table.c.failure_id == str(old.id)).values(failed_at=moved)
        )
    on_tuesday = datetime(2026, 12, 1, 12, tzinfo=UTC)
    first, second = failures(app, COMMISSIONER, engine, now=on_tuesday)
    assert first.failure_id == old.id and first.failed_on == date(2026, 11, 27)
    assert (first.deal_with_by, first.overdue) == (date(2026, 12, 1), False)
    assert second.failure_id == new.id and not second.overdue
    on_wednesday = on_tuesday + timedelta(days=1)
    (late, _) = failures(app, COMMISSIONER, engine, now=on_wednesday)
    assert late.failure_id == old.id and late.overdue
    # overdue first, however new the other: the newer moved to long ago
    with Session(engine) as session, session.begin():
        session.execute(
            table.update()
            .where(table.c.failure_id == str(new.id))
            .values(failed_at=datetime(2026, 11, 2, tzinfo=UTC))
        )
    assert [f.failure_id for f in failures(app, COMMISSIONER, engine, now=on_tuesday)] == [
        new.id,
        old.id,
    ]


def test_who_reads_them_each_as_the_policy_says_and_the_read_is_recorded(
    app: CommissioningApp, engine: Engine
) -> None:
    harlow = _request(app, uuid.uuid4(), uuid.uuid4(), _i("astrophysics"))
    basildon = _request(app, uuid.uuid4(), uuid.uuid4(), _i("astrophysics"), district="basildon")
    _catch_up(app, engine)
    both = {harlow.case_id, basildon.case_id}
    assert {f.case_id for f in failures(app, COMMISSIONER, engine)} == both
    assert {f.case_id for f in failures(app, AUDITOR, engine)} == both
    assert [f.case_id for f in failures(app, _sitting("harlow"), engine)] == [harlow.case_id]
    assert failures(app, _sitting("colchester"), engine) == []
    for nobody in (
        Caller.of("lp-1", Role.LEAD_PROFESSIONAL, "education"),
        Caller.of("r-1", Role.REFERRER, "education"),
        Caller.of("s-1", Role.PROVIDER, "pvi", provider="pvi-12"),
    ):
        with pytest.raises(Forbidden):
            failures(app, nobody, engine)
    reads = [
        e
        for n in app.notifications(0, 10_000)
        if isinstance(e := app.mapper.to_domain_event(n), CaseRead.Recorded)
        and e.case_id == harlow.case_id
    ]
    assert {r.actor["user_id"] for r in reads} == {"c-1", "a-1", "pm-1"}


def test_a_version_2_refusal_reads_with_its_review_meeting_and_no_district() -> None:
    state: dict[str, Any] = {"review": "m-1"}
    Refusal.Refused.upcast_v2_v3(state)
    assert state == {"review": "m-1", "district": None, "meeting_id": "m-1"}
    state = {}
    Package.Commissioned.upcast_v2_v3(state)
    assert state == {"meeting_id": None}


def test_the_route_answers_commissioners_and_refuses_a_lead_professional(
    app: CommissioningApp, engine: Engine, settings: Settings
) -> None:
    refused = _request(app, uuid.uuid4(), uuid.uuid4(), _i("astrophysics"))
    _catch_up(app, engine)
    api = create_api(app, verifier(), engine, settings, lambda: {"store": True, "broker": True})
    client = TestClient(api, raise_server_exceptions=False)
    r = client.get("/failures", headers=auth(Role.COMMISSIONER, "childrens-services"))
    assert r.status_code == 200, r.text
    (answer,) = r.json()
    assert answer["failure_id"] == str(refused.id) and answer["case_id"] == str(refused.case_id)
    assert (answer["panel"], answer["district"], answer["reason"]) == (
        "maag",
        "harlow",
        "no-capacity",
    )
    assert answer["remedy"] == "capacity" and answer["overdue"] is False
    assert {"failed_at", "failed_on", "deal_with_by", "detail"} <= set(answer)
    lead = client.get("/failures", headers=auth(Role.LEAD_PROFESSIONAL, "education"))
    assert lead.status_code == 403
    assert client.get("/failures").status_code == 401
