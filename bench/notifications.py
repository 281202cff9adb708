"""Benchmark: emails per second to the local SMTP server, and latency from
`LeadProfessionalAssigned` on the topic to the email accepted by the server (p50, p99).

    python -m bench.notifications [--emails 1000]

Runs the notifications service and the mailbox (a real aiosmtpd server) as their own
processes against KAFKA_BOOTSTRAP_SERVERS and MAAG_POSTGRES_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from bench.support import percentiles, start_service, wait_ready
from contracts.envelope import Envelope
from contracts.events import Actor
from contracts.events.panel import LeadProfessionalAssigned
from contracts.reference import Agency, Panel, Role
from contracts.topics import PANEL_EVENTS
from maag.runtime import kafka
from tests.support.net import free_port
from tests.support.referral import SECRET

PORT = 18004
ACTOR = Actor(user_id="coord", role=Role.PANEL_MEMBER, agency="social-care")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=1000)
    args = parser.parse_args()
    n = args.emails
    bootstrap, url = os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["MAAG_POSTGRES_URL"]
    run = uuid.uuid4().hex[:8]
    schema, prefix = f"bench_notify_{run}", f"bench.{run}."
    await kafka.ensure_topics(bootstrap, prefix)
    smtp_port, maildir = free_port(), Path(tempfile.mkdtemp()) / "mail"
    mailbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "maag.cli",
            "mailbox",
            "serve",
            "--port",
            str(smtp_port),
            "--directory",
            str(maildir),
        ],
        stdout=subprocess.DEVNULL,
    )
    service = start_service(
        "notifications",
        PORT,
        {
            "MAAG_POSTGRES_SCHEMA": schema,
            "MAAG_TOPIC_PREFIX": prefix,
            "MAAG_JWT_SECRET": SECRET,
            "MAAG_SMTP_PORT": str(smtp_port),
        },
    )
    try:
        await wait_ready(PORT)
        producer = kafka.producer(bootstrap, "bench-panel")
        await producer.start()
        sent: dict[str, float] = {}
        t0 = time.time()
        try:
            pending = []
            for i in range(n):
                case_id = uuid.uuid4()
                event = LeadProfessionalAssigned(
                    case_id=case_id,
                    occurred_at=datetime.now(UTC),
                    actor=ACTOR,
                    panel=Panel.MAAG,
                    meeting_id=uuid.uuid4(),
                    professional_id=f"lp-{i}",
                    professional_name="Lee Lead",
                    agency=Agency.EDUCATION,
                    work_email=f"lead{i}@school.example",
                )
                envelope = Envelope(
                    id=str(uuid.uuid4()),
                    source="/maag/panel",
                    type=event.TYPE,
                    time=event.occurred_at,
                    subject=str(case_id),
                    correlation_id="b",
                    causation_id=None,
                    actor=ACTOR,
                    sequence=i + 1,
                )
                sent[str(case_id)] = time.time()
                pending.append(
                    await producer.send(
                        PANEL_EVENTS.named(prefix),
                        event.model_dump_json().encode(),
                        key=str(case_id).encode(),
                        headers=envelope.headers(),
                    )
                )
            await asyncio.gather(*pending)
        finally:
            await producer.stop()
        deadline = time.time() + 300
        while len(list(maildir.glob("*.eml"))) < n:
            if time.time() > deadline:
                raise TimeoutError("not every email arrived")
            await asyncio.sleep(0.1)
        accepted: dict[str, float] = {}
        for f in maildir.glob("*.eml"):
            msg = email.message_from_bytes(f.read_bytes())
            accepted[msg["X-MAAG-Case"]] = int(f.name.split("-")[0]) / 1e9
        elapsed = max(accepted.values()) - t0
        p50, p99 = percentiles([(accepted[c] - t) * 1000 for c, t in sent.items()])
        print("notifications service: 1 process; mailbox: aiosmtpd, 1 process; PostgreSQL store")
        print(
            f"emails {n:6d}  {n / elapsed:8.0f} emails/s accepted by the SMTP server  "
            f"latency LeadProfessionalAssigned -> accepted p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
        )
    finally:
        service.terminate()
        service.wait(timeout=30)
        mailbox.terminate()
        mailbox.wait(timeout=10)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    asyncio.run(main())
