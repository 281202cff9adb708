"""Benchmark: emails per second to the local SMTP server, and latency from
`LeadProfessionalAssigned` on the topic to the email accepted by the server (p50, p99).

    python -m bench.notifications [--emails 1000] [--reply-delay-ms 10] [--smtp-connections 1]

Runs the notifications service and the mailbox (a real aiosmtpd server) as their own
processes against KAFKA_BOOTSTRAP_SERVERS and MAAG_POSTGRES_URL. `--reply-delay-ms` has the
mailbox answer MAIL, RCPT and DATA that much later, as a mail relay some way off would;
`--smtp-connections` sets the service's MAAG_SMTP_CONNECTIONS (default: its own).
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

from bench.support import ended, limit, percentiles, running_service, stop_on_signals, stopped
from contracts.events import Actor
from contracts.events.panel import LeadProfessionalAssigned
from contracts.reference import Agency, Panel, Role
from contracts.topics import PANEL_EVENTS
from maag.runtime.messaging import kafka
from tests.support.events import record
from tests.support.net import free_port

ACTOR = Actor(user_id="coord", role=Role.PANEL_MEMBER, agency="social-care")
MAIL_TIMEOUT = 300.0  # seconds for every email to reach the mailbox (or fewer: `limit`)


async def figures(
    emails: int = 1000, reply_delay_ms: int = 0, smtp_connections: int | None = None
) -> dict[str, float]:
    """Emails/s accepted by the SMTP server, and the latency from LeadProfessionalAssigned on
    the topic to acceptance."""
    with tempfile.TemporaryDirectory() as tmp:
        return await _figures(emails, Path(tmp) / "mail", reply_delay_ms, smtp_connections)


async def _figures(
    n: int, maildir: Path, reply_delay_ms: int, smtp_connections: int | None
) -> dict[str, float]:
    smtp_port = free_port()
    env = {"MAAG_SMTP_PORT": str(smtp_port)}
    if smtp_connections is not None:
        env["MAAG_SMTP_CONNECTIONS"] = str(smtp_connections)
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
            "--reply-delay-ms",
            str(reply_delay_ms),
        ],
        stdout=subprocess.DEVNULL,
    )
    with stopped(mailbox, "the mailbox", grace=10):
        async with running_service("notifications", env) as run:
            sent = await publish_assignments(n, run.bootstrap, PANEL_EVENTS.named(run.prefix))
            t0 = min(sent.values())
            timeout = limit(MAIL_TIMEOUT)
            deadline = time.time() + timeout
            processes = {"the mailbox": mailbox}
            if run.service is not None:
                processes["the notifications service"] = run.service
            while (arrived := len(list(maildir.glob("*.eml")))) < n:
                if time.time() > deadline:
                    raise TimeoutError(
                        f"waited {timeout:.0f} s for {n} emails in {maildir}: {arrived} arrived"
                    )
                ended(processes, f"{arrived} of {n} emails had arrived")
                await asyncio.sleep(0.1)
    accepted: dict[str, float] = {}
    for f in maildir.glob("*.eml"):
        msg = email.message_from_bytes(f.read_bytes())
        accepted[msg["X-MAAG-Case"]] = int(f.name.split("-")[0]) / 1e9
    elapsed = max(accepted.values()) - t0
    p50, p99 = percentiles([(accepted[c] - t) * 1000 for c, t in sent.items()])
    return {
        "emails": n,
        "emails_per_second": round(n / elapsed, 1),
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--reply-delay-ms", type=int, default=0)
    parser.add_argument("--smtp-connections", type=int, default=None)
    args = parser.parse_args()
    found = await figures(args.emails, args.reply_delay_ms, args.smtp_connections)
    lanes = args.smtp_connections or "the default number of"
    print(
        "notifications service: 1 process; mailbox: aiosmtpd, 1 process, replies "
        f"{args.reply_delay_ms} ms late; PostgreSQL store; {lanes} SMTP connections"
    )
    print(
        f"emails {args.emails:6d}  {found['emails_per_second']:8.0f} emails/s accepted by the "
        f"SMTP server  latency LeadProfessionalAssigned -> accepted "
        f"p50 {found['p50_ms']:7.1f} ms  p99 {found['p99_ms']:7.1f} ms"
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
    stop_on_signals()
    asyncio.run(main())
