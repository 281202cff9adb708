"""The reports' projection (`adapters/read_model.py`): the savings report's rows it derives
price a period's days as its lines do, and replaying the store from its first event (what
a deployment does at a new projection name) gives the report the live projection gave."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, select

from contracts.events.commissioning import DecommissionReason
from contracts.reference import Panel
from maag.runtime.follow.projection import Projector
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work
from services.commissioning.adapters.read_model import derive_savings, project
from services.commissioning.application.app import CommissioningApp
from services.commissioning.application.commands.decommission_package import (
    decommission_package,
)
from services.commissioning.application.queries.savings_report import savings
from services.commissioning.application.tables import (
    REPORTS,
    REPORTS_PROJECTION,
    avoided,
    lines,
    packages,
    savings_covers,
    savings_periods,
)
from services.commissioning.domain.aggregates import Package
from services.commissioning.domain.rules import cost_between
from services.commissioning.domain.savings import annual_costs
from tests.support.savings_reference import reference
from tests.unit.services.commissioning.test_commissioning_flow import TODAY, _i, _request, _review

WEEKLY = [70_001, -12_345, 3, -1, 0, 49_999]  # several lines, some negative


def check_pricing(engine: Engine) -> None:
    """A period of several lines (negative costs too): its derived row prices every day
    count 0..13 as its lines do (`rules.cost_between`), and so does the report."""
    REPORTS.create_all(engine)
    start = date(2026, 5, 4)
    pid = str(uuid.UUID(int=7))
    with engine.begin() as conn:
        conn.execute(
            packages.insert(),
            [
                {
                    "period_id": f"{pid}:1",
                    "package_id": pid,
                    "case_id": str(uuid.UUID(int=8)),
                    "panel": "earp",
                    "panel_key": "earp",
                    "district": "harlow",
                    "fy": 2026,
                    "weekly_cost_pence": sum(WEEKLY),
                    "starts_on": start,
                    "ended_on": None,
                    "status": "active",
                }
            ],
        )
        conn.execute(
            lines.insert(),
            [
                {
                    "period_id": f"{pid}:1",
                    "line": n,
                    "provider_id": "p",
                    "service": "s",
                    "units": 1.0,
                    "weekly_cost_pence": w,
                }
                for n, w in enumerate(WEEKLY)
            ],
        )
        conn.execute(avoided.insert(), [{"package_id": pid, "outcome": "accommodation"}])
        derive_savings(conn)
        row = conn.execute(select(savings_periods)).mappings().one()
    for days in range(14):
        last = start + timedelta(days=days - 1)
        expected = sum(cost_between(w, start, None, start, last) for w in WEEKLY)
        part = row[f"part_{days % 7}"] if days % 7 else 0
        assert row["week_pence"] * (days // 7) + part == expected, days
        if days:
            (found,) = savings(engine, annual_costs({}), start, last)["rows"]
            assert found["package_cost_pence"] == expected, days


def test_the_derived_rows_price_every_day_count_as_the_lines_do(tmp_path: Path) -> None:
    check_pricing(create_engine(f"sqlite:///{tmp_path / 'read.sqlite'}"))


def test_a_rebuild_from_the_store_gives_the_report_the_live_projection_gave(
    tmp_path: Path,
) -> None:
    app = CommissioningApp(Settings(data_dir=tmp_path / "store"))
    app.today = lambda: TODAY
    app.seed(TODAY)
    live_engine = create_engine(f"sqlite:///{tmp_path / 'live.sqlite'}")
    # an event a transaction, as a busy service catches up
    live = Projector(app, live_engine, REPORTS, project, REPORTS_PROJECTION, batch_size=1)
    live.catch_up()
    case = uuid.uuid4()
    earp = _request(app, _i(hours=4), panel=Panel.EARP, case_id=case)
    live.catch_up()
    jap = _request(app, _i("therapy", 3), panel=Panel.JAP, case_id=case)
    named = _request(app, _i(hours=2), case_id=case, alternative_to=("accommodation",))
    _request(app, _i(hours=1), case_id=case)  # a MAAG package that names nothing
    live.catch_up()
    assert all(isinstance(p, Package) for p in (earp, jap, named))
    assert isinstance(earp, Package) and isinstance(named, Package)
    # recommissioned (a second period), then a package decommissioned
    _review(app, earp, "recommission", date(2027, 1, 4), [_i(hours=8), _i("therapy", 2)])
    live.catch_up()
    work = Work(app)
    stopped = work.get_as(named.id, Package, "package")
    assert decommission_package(
        work, stopped, DecommissionReason.OUTCOMES_MET, date(2027, 2, 1), TODAY
    )
    work.commit()
    live.catch_up()

    rebuilt_engine = create_engine(f"sqlite:///{tmp_path / 'rebuilt.sqlite'}")
    rebuilt = Projector(app, rebuilt_engine, REPORTS, project, REPORTS_PROJECTION)
    assert rebuilt.position() == 0  # a new name reads the store from its beginning
    rebuilt.catch_up()
    assert rebuilt.position() == live.position()
    for table in (savings_periods, savings_covers):
        order = list(table.primary_key.columns)
        with live_engine.connect() as a, rebuilt_engine.connect() as b:
            found = a.execute(select(table).order_by(*order)).all()
            assert found and found == b.execute(select(table).order_by(*order)).all()
    costs = annual_costs({})
    for first, last in [
        (date(2026, 4, 1), date(2027, 3, 31)),
        (date(2027, 1, 1), date(2028, 3, 31)),
    ]:
        report = savings(live_engine, costs, first, last)
        assert report == savings(rebuilt_engine, costs, first, last)
        assert report == reference(live_engine, costs, first, last)
        assert report["rows"] and report["prevention"]["rows"]
