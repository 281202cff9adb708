"""Benchmark: the auditor's timeline of one case read many times, each part and the whole.

    python -m bench.timeline [--reads 1500] [--calls 20]

Starts the whole system as processes (fresh schemas and topics), makes one case with a lead,
has an auditor read it --reads times (spread over the four services, eight at a time: each
read is a recorded event of the case), then asks each service for its part of the case's
timeline, and the referral service for the whole merged timeline, --calls times each, one
at a time on an otherwise idle system, and the page of it the auditor's page asks for (the
newest 100: on a tree without pages, the whole). Prints each one's entries, size and median
time.
Needs KAFKA_BOOTSTRAP_SERVERS, MAAG_POSTGRES_URL and MAAG_OIDC_ISSUER.
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.support import identity, stop_on_signals, whole_system
from maag.ops.demo.client import lead_decision
from services.web.routes.auditor import PAGE
from tests.support.flow import CONSENT
from tests.support.referral import details

# what an auditor reads of the case in each service (each read is recorded there)
READS = {
    "referral": "/referrals/{case_id}",
    "panel": "/cases/{case_id}",
    "commissioning": "/cases/{case_id}/packages",
    "notifications": "/cases/{case_id}/notifications",
}


def timed(
    client: httpx.Client, url: str, headers: dict[str, str], calls: int
) -> tuple[float, int, int]:
    """The median milliseconds of `calls` GETs of `url`, its entries and its size (through
    one client, as a browser's connection: a client made per call adds its own ~25 ms)."""
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        r = client.get(url, headers=headers, timeout=120)
        times.append(1000 * (time.perf_counter() - started))
        assert r.status_code == 200, (url, r.status_code, r.text[:200])
    return statistics.median(times), len(r.json()["entries"]), len(r.content)


ANSWERS = [*(f"{service}_part" for service in READS), "whole", "page"]  # as figures names them


def figures(reads: int = 1500, calls: int = 20) -> dict[str, float]:
    """Each answer's median milliseconds of `calls` (`<answer>_ms`), its entries and KiB,
    for `ANSWERS`: each service's part, the whole merged timeline and its first page. Needs
    the identity provider's tokens (`identity()`)."""
    found: dict[str, float] = {"reads": reads, "calls": calls}
    with whole_system("timeline") as system:
        client = system.client(timeout=120)
        client.ready()
        case_id = client.refer(details(district="harlow", consent=CONSENT))["case_id"]
        meeting = client.convene(case_id)  # spelt out: the bench runs on older trees too
        client.make_quorate(meeting)
        client.decide(
            meeting, lead_decision(case_id, "lead-education", "L", "education", "l@x.example")
        )
        auditor = {"Authorization": f"Bearer {client.tokens.person('auditor-1')}"}
        services = list(READS)

        def read(n: int) -> None:
            service = services[n % len(services)]
            path = READS[service].format(case_id=case_id)
            r = httpx.get(f"{system.url(service)}{path}", headers=auditor, timeout=120)
            assert r.status_code == 200, (service, r.status_code)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(read, range(reads)))
        whole = f"{system.url('referral')}/audit/cases/{case_id}/timeline"
        urls = {
            **{f"{s}_part": f"{system.url(s)}/audit/cases/{case_id}" for s in services},
            "whole": whole,
            "page": f"{whole}?limit={PAGE}",
        }
        with httpx.Client() as asking:
            for answer, url in urls.items():
                ms, entries, size = timed(asking, url, auditor, calls)
                found |= {
                    f"{answer}_ms": round(ms, 1),
                    f"{answer}_entries": entries,
                    f"{answer}_kib": size // 1024,
                }
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reads", type=int, default=1500)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    f = figures(args.reads, args.calls)
    print(f"one case read {args.reads} times; each answer's median of {args.calls} calls:")
    for answer in ANSWERS:
        who, kind = answer.rsplit("_", 1) if answer.endswith("_part") else ("all four", answer)
        print(
            f"  {who:14} {kind:5} {f[f'{answer}_entries']:5.0f} entries "
            f"{f[f'{answer}_kib']:6.0f} KiB {f[f'{answer}_ms']:6.0f} ms"
        )


if __name__ == "__main__":
    stop_on_signals()
    with identity():
        main()
