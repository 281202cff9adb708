"""Benchmark: the web app's pages under 20 concurrent signed-in people.

    python -m bench.web [--users 20] [--rounds 10]

Starts the whole system as processes (fresh schemas and topics), signs --users people in
through the identity provider's own sign-in page (each a session of their own, spread over
the personas: chair, lead professional, referrer, commissioner, privacy officer, auditor),
makes one case with a lead and a package, then every person asks for each page their persona
uses once (not timed: the processes' first answers fill what they keep), then --rounds times,
all at the same time. Between two pages a person reads the page: a pause
drawn at random around --think seconds (exponentially, as people's pauses are; each person
starts at a random moment within the first pause). `--think 0` asks back to back, with no
pause at all: twenty requests always in flight, far more than twenty people make, which
measures what the machine serves when it is saturated rather than what a person waits.
Prints each page's p50 and p95 in milliseconds, and all pages' together. Needs
KAFKA_BOOTSTRAP_SERVERS, MAAG_POSTGRES_URL and MAAG_OIDC_ISSUER.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.support import identity, stop_on_signals, whole_system
from maag.ops.demo.client import lead_decision, package_decision
from maag.ops.identity.realm import LOCAL_PASSWORD
from maag.runtime.web.auth import WEB_CLIENT
from tests.support import identity as test_identity
from tests.support.browser import browser, login_form
from tests.support.flow import CONSENT
from tests.support.referral import details
from tests.support.system import System


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


def measure(
    system: System, users: int, rounds: int, think: float
) -> tuple[dict[str, list[float]], float, dict[str, float]]:
    """Each page's times (ms); the seconds the timed rounds took, and the CPU seconds each
    process used meanwhile."""
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
    # each persona's pages, as they use them; the people are spread over the personas
    pages: dict[str, dict[str, str]] = {
        "chair-1": {
            "home": "/",
            "meetings": "/meetings",
            "agenda": f"/meetings/{meeting}",
            "case": f"/cases/{case_id}",
            "plan": f"/cases/{case_id}/plan",
        },
        "lead-education": {
            "home": "/",
            "my-cases": "/my-cases",
            "case": f"/cases/{case_id}",
            "plan": f"/cases/{case_id}/plan",
            "notes": f"/referrals/{case_id}/notes",
            "chronology": f"/referrals/{case_id}/chronology",
        },
        "referrer-education": {
            "home": "/",
            "referrals": "/referrals",
            "referral": f"/referrals/{case_id}",
            "new-referral": "/referrals/new",
        },
        "commissioner-1": {
            "home": "/",
            "spend": "/reports/spend",
            "capacity": "/reports/capacity",
            "savings": "/reports/savings",
            "boards": "/reports/boards",
            "providers": "/providers",
            "budgets": "/budgets",
        },
        "privacy-officer-1": {"home": "/", "privacy": f"/privacy/cases/{case_id}"},
        "auditor-1": {"audit": "/audit", "timeline": f"/audit/cases/{case_id}"},
    }
    personas = list(pages)
    who = [personas[n % len(personas)] for n in range(users)]
    people = [signed_in(web, user) for user in who]
    times: dict[str, list[float]] = {}
    for mine in pages.values():
        for name in mine:
            times.setdefault(name, [])

    stopping = threading.Event()  # set when the run is stopped: the people stop reading

    def visit(n: int) -> None:
        session = people[n]
        pace = random.Random(n)  # the same pauses on every run, for before/after pairs
        if think:
            stopping.wait(pace.uniform(0, think))
        for _ in range(rounds):
            for name, path in pages[who[n]].items():
                if think:
                    stopping.wait(pace.expovariate(1 / think))  # reading the last page
                if stopping.is_set():
                    return
                t = time.perf_counter()
                r = session.get(f"{web}{path}")
                times[name].append(1000 * (time.perf_counter() - t))
                assert r.status_code == 200, (who[n], name, r.status_code)

    # each person's pages once, not timed: what every process keeps after its first answer
    # (the broker's topics, the templates, connections) is in place, as on a day's work
    for n, session in enumerate(people):
        for path in pages[who[n]].values():
            assert session.get(f"{web}{path}").status_code == 200, (who[n], path)
    before, started = cpu_seconds(system), time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        try:
            list(pool.map(visit, range(users)))
        except BaseException:  # one person's failure, SIGTERM, Ctrl-C: the others stop too
            stopping.set()
            raise
    took = time.perf_counter() - started
    used = {k: v - before.get(k, 0.0) for k, v in cpu_seconds(system).items()}
    return times, took, used


def cpu_seconds(system: System) -> dict[str, float]:
    """CPU time (user + system) of each process of the system, and of PostgreSQL's backends
    together, from /proc: where a page's time goes."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[str, float] = {}
    for name, proc in system.procs.items():
        found[name] = _cpu(proc.pid, tick)
    found["postgres"] = sum(
        _cpu(int(d.name), tick)
        for d in Path("/proc").iterdir()
        if d.name.isdigit() and _command(d).startswith("postgres")
    )
    return found


def _cpu(pid: int, tick: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / tick  # utime, stime


def _command(d: Path) -> str:
    try:
        return (d / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return ""


def figures(users: int = 20, rounds: int = 10, think: float = 5.0) -> dict[str, float]:
    """Each page's p50 and p95 (`<page>_p50_ms`, `<page>_p95_ms`, `<page>_requests`; `all_*`
    for every page together), the seconds the rounds took and each process's CPU seconds
    meanwhile (`cpu_<process>_seconds`). Needs the identity provider's tokens."""
    with whole_system("web") as system:
        times, took, used = measure(system, users, rounds, think)
    found: dict[str, float] = {
        "users": users,
        "rounds": rounds,
        "think_seconds": think,
        "seconds": round(took, 2),
    }
    everything = [v for values in times.values() for v in values]
    asked = {name: values for name, values in times.items() if values}  # fewer people than
    # personas leave some pages unasked
    for name, values in [*asked.items(), ("all", everything)]:
        key = name.replace("-", "_")
        found |= {
            f"{key}_requests": len(values),
            f"{key}_p50_ms": round(statistics.median(values), 1),
            f"{key}_p95_ms": round(p(values, 0.95), 1),
        }
    for name, seconds in sorted(used.items(), key=lambda kv: -kv[1]):
        found[f"cpu_{name.replace('-', '_')}_seconds"] = round(seconds, 2)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--think", type=float, default=5.0, help="seconds a person reads a page, on average"
    )
    args = parser.parse_args()
    f = figures(args.users, args.rounds, args.think)
    took = f["seconds"]
    pages = [
        k.removesuffix("_requests") for k in f if k.endswith("_requests") and k != "all_requests"
    ]
    print(f"{f['all_requests']:.0f} pages in {took:.1f} s; CPU seconds meanwhile:")
    for key in (k for k in f if k.startswith("cpu_")):
        seconds = f[key]
        name = key.removeprefix("cpu_").removesuffix("_seconds")
        print(f"  {name:14} {seconds:6.1f} s  ({100 * seconds / took:4.0f}% of one core)")
    pace = f"a page every {args.think:g} s or so each" if args.think else "back to back"
    print(f"web app: {args.users} signed-in people, {args.rounds} rounds each, {pace}")
    for name in [*pages, "all"]:
        print(
            f"  {name.upper() if name == 'all' else name:12} {f[f'{name}_requests']:5.0f} requests"
            f"  p50 {f[f'{name}_p50_ms']:6.0f} ms  p95 {f[f'{name}_p95_ms']:6.0f} ms"
        )


if __name__ == "__main__":
    stop_on_signals()
    with identity():
        main()
