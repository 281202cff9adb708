"""bench.e2e's figures: percentiles over the latencies, and a PNG chart of the result."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bench.e2e import chart, pct, send_keyed


def test_percentiles_are_of_the_ordered_values() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert (pct(values, 50), pct(values, 95), pct(values, 99)) == (50.0, 95.0, 99.0)
    assert pct([7.0], 99) == 7.0


def test_the_chart_is_a_png(tmp_path: Path) -> None:
    result = {
        "throughput": {"cases_per_second": 20.5},
        "latency_at_fixed_load": {
            "offered_cases_per_second": 5,
            "p50_ms": 220,
            "p95_ms": 290,
            "p99_ms": 310,
        },
        "baselines_per_second": {
            "aiokafka_produce_consume": 19000,
            "psycopg_commit_each": 1000,
            "psycopg_batched": 37000,
        },
        "when": "2026-11-27 03:00 UTC",
        "machine": "2 cores",
    }
    out = tmp_path / "e2e.png"
    chart(result, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_a_keyed_write_is_sent_again_with_its_key_when_the_connection_drops_or_it_lost_a_race() -> (
    None
):
    """The scripted panel and the referrers resend a write as a person's client would: a
    dropped kept-alive connection (ReadError) or a 409 is sent again with the same key."""
    seen: list[str] = []
    answers = iter(["drop", "409", "201"])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Idempotency-Key"])
        answer = next(answers)
        if answer == "drop":
            raise httpx.ReadError("", request=request)
        return httpx.Response(int(answer), json={})

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(handler), base_url="http://x"
        ) as http:
            return await send_keyed(http, "/referrals", {}, {})

    assert asyncio.run(send()).status_code == 201
    assert len(seen) == 3 and len(set(seen)) == 1
