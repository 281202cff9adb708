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
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.support import percentiles, running_service
from contracts.events import Actor
from contracts.events.panel import LeadProfessionalAssigned
from contracts.reference import Agency, Panel, Role
from contracts.topics import PANEL_EVENTS
from maag.runtime.messaging import kafka
from tests.support.events import record
from tests.support.net import free_port

PORT = 18004
ACTOR = Actor(user_id="coord", role=Role.PANEL_MEMBER, agency="social-care")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=1000)
    args = parser.parse_args()
    n = args.emails
    smtp_port, maildir = free_port(), Path(tempfile.mkdtemp()) / "mail"
    mailbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "maag.ops.cli",
            "mailbox",
            "serve",
            "--port",
            str(smtp_port),
            "--directory",
            str(maildir),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        async with running_service(
            "notifications", PORT, {"MAAG_SMTP_PORT": str(smtp_port)}
        ) as run:
            sent = await publish_assignments(n, run.bootstrap, PANEL_EVENTS.named(run.prefix))
            t0 = min(sent.values())
            deadline = time.time() + 300
            while len(list(maildir.glob("*.eml"))) < n:
                if time.time() > deadline:
                    raise TimeoutError("not every email arrived")
                await asyncio.sleep(0.1)
    finally:
        mailbox.terminate()
        mailbox.wait(timeout=10)
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


async def publish_assignments(n: int, bootstrap: str, topic: str) -> dict[str, float]:
    """n LeadProfessionalAssigned on the panel topic; when each was sent (wall clock)."""
    producer = kafka.producer(bootstrap, "bench-panel")
    await producer.start()
    sent: dict[str, float] = {}
    try:
        pending = []
        for i in range(n):
            event = LeadProfessionalAssigned(
                case_id=uuid.uuid4(),
                occurred_at=datetime.now(UTC),
                actor=ACTOR,
                panel=Panel.MAAG,
                meeting_id=uuid.uuid4(),
                professional_id=f"lp-{i}",
                professional_name="Lee Lead",
                agency=Agency.EDUCATION,
                work_email=f"lead{i}@school.example",
            )
            key, value, headers = record(event, "/maag/panel", i + 1)
            sent[event.subject] = time.time()
            pending.append(await producer.send(topic, value, key=key, headers=headers))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


if __name__ == "__main__":
    asyncio.run(main())
