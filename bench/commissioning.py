"""Benchmark: packages commissioned per second from `PackageRequested` on the topic, and how
long the reports take over 100,000 packages.

    python -m bench.commissioning [--packages 2000] [--report-rows 100000]

Runs the commissioning service as its own process against KAFKA_BOOTSTRAP_SERVERS and
MAAG_POSTGRES_URL in a fresh schema and topic prefix; the report figures come from a read
model filled directly with the given number of packages (one line each), the savings
report's rows derived from them as the projection derives them, and the tables analysed
before the reports are timed (what autovacuum does within a minute of a bulk load: the
planner's choices depend on the statistics).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import psycopg
from psycopg import sql

from bench.support import Watcher, drop_schema, identity, running_service, stop_on_signals
from contracts.reference import AvoidedOutcome, District, Role, financial_year
from contracts.topics import COMMISSIONING_EVENTS, PANEL_EVENTS
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings
from maag.runtime.web.reports import to_csv
from services.commissioning.adapters.read_model import derive_savings
from services.commissioning.application.queries.savings_report import savings
from services.commissioning.application.queries.spend_report import spend
from services.commissioning.application.tables import REPORTS, avoided, lines, packages
from services.commissioning.domain.savings import annual_costs
from tests.support.events import package_requested, record
from tests.support.identity import token

OUTCOMES = [o.value for o in AvoidedOutcome]


async def commissioning_rate(
    url: str,
    n: int,
    bootstrap: str,
    prefix: str,
    token: str,
    service: subprocess.Popen[bytes] | None = None,
) -> float:
    """Packages commissioned/s from PackageRequested on the topic (`service`: the
    commissioning service's process, watched while waiting)."""
    headers = {"Authorization": f"Bearer {token}"}
    fy = financial_year(datetime.now(UTC).date())
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        r = await client.post(
            "/providers",
            headers=headers,
            json={
                "provider_id": "bench-provider",
                "name": "Bench",
                "kind": "pvi",
                "services": ["bench support"],
                "weekly_capacity": 1_000_000,  # the API's ceiling; far above what the run uses
                "unit_cost_pence": 100,
            },
        )
        assert r.status_code == 201, r.text
        for key in [f"maag:{d.value}" for d in District]:
            r = await client.put(
                f"/budgets/{key}/{fy}", headers=headers, json={"amount_pence": 10**12}
            )
            assert r.status_code == 200, r.text
    stop = asyncio.Event()
    watcher = Watcher(
        bootstrap,
        COMMISSIONING_EVENTS.named(prefix),
        "maag.commissioning.PackageCommissioned.v1",
        {"the commissioning service": service},
    )
    watching = asyncio.create_task(watcher.run(stop))
    producer = kafka.producer(bootstrap, "bench-panel")
    await producer.start()
    keys: set[str] = set()
    t0 = time.perf_counter()
    try:
        pending = []
        for seq in range(1, n + 1):
            event = package_requested(
                uuid.uuid4(), "bench support", 1, district=list(District)[seq % 12]
            )
            kafka_key, value, headers_ = record(event, "/maag/panel", seq)
            keys.add(kafka_key.decode())
            pending.append(
                await producer.send(
                    PANEL_EVENTS.named(prefix), value, key=kafka_key, headers=headers_
                )
            )
        await asyncio.gather(*pending)
        await watcher.wait_for(keys)
    finally:
        await producer.stop()
        stop.set()
        await watching
    elapsed = max(watcher.seen[k] for k in keys) - t0
    return n / elapsed


REPORTS_RUN = ("spend", "spend_csv", "savings")  # the names of report_times' figures


def report_times(url: str, schema: str, rows: int) -> dict[str, float]:
    """Each report's milliseconds over `rows` packages (`<report>_ms`), and the spend
    report's rows."""
    settings = Settings(postgres_url=url, postgres_schema=schema)
    engine = read_model_engine(settings, "commissioning")
    REPORTS.create_all(engine)
    rng = random.Random(1)
    start = date(2026, 4, 1)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        periods, lines_, avoids = [], [], []
        for _ in range(rows):
            pid = str(uuid.uuid4())
            panel = rng.choice(["maag", "maag", "maag", "earp", "jap"])
            district = rng.choice(list(District)).value
            starts = start + timedelta(days=rng.randrange(300))
            ended = starts + timedelta(days=rng.randrange(30, 200)) if rng.random() < 0.3 else None
            weekly = rng.randrange(5_000, 80_000)
            periods.append(
                (
                    f"{pid}:1",
                    pid,
                    str(uuid.uuid4()),
                    panel,
                    f"maag:{district}" if panel == "maag" else panel,
                    district,
                    2026,
                    weekly,
                    starts,
                    ended,
                    "decommissioned" if ended else "active",
                )
            )
            if panel != "maag":  # what an EARP or JAP package is an alternative to
                for outcome in rng.sample(OUTCOMES, rng.choice([1, 1, 2])):
                    avoids.append((pid, outcome))
            lines_.append(
                (
                    f"{pid}:1",
                    0,
                    rng.choice(["inhouse-west", "pvi-12", "health-camhs"]),
                    "support",
                    4.0,
                    weekly,
                )
            )
        for table, rows_ in ((packages, periods), (lines, lines_), (avoided, avoids)):
            values = sql.SQL(", ").join(sql.Placeholder() * len(table.columns))
            insert = sql.SQL("INSERT INTO {} VALUES ({})").format(
                sql.Identifier(table.name), values
            )
            cur.executemany(insert, rows_)
        conn.commit()
    with engine.begin() as db:
        derive_savings(db)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        for table in REPORTS.sorted_tables:
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table.name)))
    today = date(2027, 1, 15)
    runs: list[tuple[str, Callable[[], Any]]] = [
        ("spend", lambda: spend(engine, today, 2026)),
        ("spend_csv", lambda: to_csv(spend(engine, today, 2026))),
        (
            "savings",
            lambda: savings(engine, annual_costs({}), date(2026, 4, 1), date(2027, 3, 31)),
        ),
    ]
    found: dict[str, float] = {}
    try:
        for name, run in runs:
            t = time.perf_counter()
            result = run()
            found[f"{name}_ms"] = round(1000 * (time.perf_counter() - t), 1)
            if name == "spend":
                found["spend_rows"] = len(result)
    finally:
        engine.dispose()
    return found


async def figures(packages: int = 2000, report_rows: int = 100_000) -> dict[str, float]:
    """Packages commissioned/s from the topic (the service in its own process), then each
    report's time over `report_rows` packages. Needs the identity provider's tokens."""
    bearer = token(Role.COMMISSIONER, "childrens-services")
    async with running_service("commissioning") as run:
        rate = await commissioning_rate(
            run.url, packages, run.bootstrap, run.prefix, bearer, run.service
        )
    found = {"packages": packages, "commissioned_packages_per_second": round(rate, 1)}
    report_schema = f"{run.schema}_reports"
    with psycopg.connect(run.postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(report_schema)))
    try:
        found["report_rows"] = report_rows
        found |= report_times(run.postgres_url, report_schema, report_rows)
    finally:
        drop_schema(run.postgres_url, report_schema)
    return found


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--report-rows", type=int, default=100_000)
    args = parser.parse_args()
    found = await figures(args.packages, args.report_rows)
    print("commissioning service: 1 process, PostgreSQL store")
    print(
        f"commission {args.packages:6d} PackageRequested -> PackageCommissioned  "
        f"{found['commissioned_packages_per_second']:8.0f} packages/s"
    )
    for name in REPORTS_RUN:
        print(
            f"report {name:10} over {args.report_rows:7d} packages  {found[f'{name}_ms']:8.0f} ms"
        )
    print(f"(the spend report has {found['spend_rows']:.0f} rows)")


if __name__ == "__main__":
    stop_on_signals()
    with identity():
        asyncio.run(main())
