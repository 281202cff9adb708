"""Benchmark: the web app's pages under 20 concurrent signed-in people.

    python -m bench.web [--users 20] [--rounds 10]

Starts the whole system as processes (fresh schemas and topics), signs --users people in
through the identity provider's own sign-in page (each a session of their own: half panel
chairs, half commissioners), makes one case with a package, then every person asks for their
pages --rounds times at once: a meeting's agenda and the case page (chairs), the spend
report (commissioners). Prints each page's p50 and p95 in milliseconds. Needs
KAFKA_BOOTSTRAP_SERVERS, MAAG_POSTGRES_URL and MAAG_OIDC_ISSUER.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.support import identity
from maag.ops.demo.client import lead_decision, package_decision
from maag.ops.identity.realm import LOCAL_PASSWORD
from maag.runtime.web.auth import WEB_CLIENT
from tests.support import identity as test_identity
from tests.support.browser import browser, login_form
from tests.support.flow import CONSENT
from tests.support.referral import details
from tests.support.system import System, running_system


def signed_in(web: str, user: str) -> httpx.Client:
    """A session of the web app, signed in on the provider's page as a browser would."""
    client = browser(follow_redirects=True)
    page = client.get(f"{web}/sign-in")
    done = client.post(login_form(page), data={"username": user, "password": LOCAL_PASSWORD})
    assert done.status_code == 200 and str(done.url).startswith(web), done.url
    return client


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def measure(system: System, users: int, rounds: int) -> dict[str, list[float]]:
    web = system.url("web")
    keycloak = test_identity.keycloak()
    assert keycloak is not None
    keycloak.admin.allow_origin(WEB_CLIENT, web)
    client = system.client(timeout=120)
    client.ready()
    case_id = client.refer(details(district="harlow", consent=CONSENT))["case_id"]
    meeting = client.convene(case_id)
    client.make_quorate(meeting)
    client.decide(
        meeting, lead_decision(case_id, "lead-education", "L", "education", "l@x.example")
    )
    client.decide(
        meeting,
        package_decision(
            case_id,
            {
                "service": "family support",
                "hours_per_week": 4,
                "starts_on": "2027-01-04",
                "review_interval_weeks": 12,
                "estimated_weekly_cost_pence": 14000,
            },
        ),
    )
    client.wait_packages(case_id)
    people = [signed_in(web, "chair-1" if n % 2 == 0 else "commissioner-1") for n in range(users)]
    pages = {
        "agenda": f"/meetings/{meeting}",
        "case": f"/cases/{case_id}",
        "spend": "/reports/spend",
    }
    times: dict[str, list[float]] = {name: [] for name in pages}

    def visit(n: int) -> None:
        session = people[n]
        mine = ["agenda", "case"] if n % 2 == 0 else ["spend"]
        for _ in range(rounds):
            for name in mine:
                t = time.perf_counter()
                r = session.get(f"{web}{pages[name]}")
                times[name].append(1000 * (time.perf_counter() - t))
                assert r.status_code == 200, (name, r.status_code)

    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(visit, range(users)))
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_system(
            Path(tmp),
            os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            os.environ["MAAG_POSTGRES_URL"],
            f"bench_web_{run}",
            f"bench.{run}.",
        ) as system,
    ):
        times = measure(system, args.users, args.rounds)
    print(f"web app: {args.users} signed-in people at once, {args.rounds} rounds each")
    for name, values in times.items():
        print(
            f"  {name:7} {len(values):4d} requests  p50 {statistics.median(values):6.0f} ms"
            f"  p95 {p(values, 0.95):6.0f} ms"
        )


if __name__ == "__main__":
    with identity():
        main()
