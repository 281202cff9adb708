"""SIGKILL the relay and the consumer processes at random moments, restart them, and check
that every event was applied exactly once."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import uuid

import psycopg
from psycopg import sql

from contracts.topics import REFERRAL_EVENTS
from maag.runtime.settings import Settings
from tests.support.pipeline import IntakeApp
from tests.support.waiting import follower_caught_up, group_committed_to_end

N = 2000


def _start(role: str, settings: Settings, group: str) -> subprocess.Popen[bytes]:
    # Only what the test's settings say: an ambient MAAG_CIPHER_KEY (from .maag/secrets.env)
    # would make the child read the test's unencrypted store as ciphertext.
    ambient = {k: v for k, v in os.environ.items() if not k.startswith("MAAG_")}
    env = {
        **ambient,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap,
        "MAAG_POSTGRES_URL": settings.postgres_url or "",
        "MAAG_POSTGRES_SCHEMA": settings.postgres_schema or "",
        "MAAG_TOPIC_PREFIX": settings.topic_prefix,
        "MAAG_LOG_FORMAT": "json",
        "TEST_GROUP": group,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.run_pipeline", role],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(f"/tmp/kill-{role}.log", "ab"),
    )


def _applied(settings: Settings) -> tuple[int, int]:
    """(Noted events, distinct cases noted) in the ledger's store."""
    assert settings.postgres_url and settings.postgres_schema
    query = sql.SQL(
        "SELECT count(*), count(DISTINCT originator_id) FROM {} WHERE topic LIKE %s"
    ).format(sql.Identifier(settings.postgres_schema, "ledger_events"))
    try:
        with psycopg.connect(settings.postgres_url) as conn:
            row = conn.execute(query, ("%Ledger.Noted",)).fetchone()
    except psycopg.errors.UndefinedTable:
        return (0, 0)
    assert row is not None
    return row[0], row[1]


async def test_killed_and_restarted_relay_and_consumer_lose_nothing_and_double_nothing(
    settings: Settings, unique: str
) -> None:
    intake = IntakeApp(settings)

    async def feed() -> None:  # the store keeps filling while the processes come and go
        for _ in range(N // 50):
            cases = [(uuid.uuid4(), "CAF-2026-0001") for _ in range(50)]
            await asyncio.to_thread(intake.receive, cases)
            await asyncio.sleep(0.5)

    feeder = asyncio.create_task(feed())
    group = f"g-{unique}"
    rng = random.Random(unique)
    progress: list[int] = []  # cases applied when each kill landed
    while not feeder.done():
        relay, consumer = _start("relay", settings, group), _start("consumer", settings, group)
        # Kill only once this pair has applied something (the group first waits out the killed
        # member's 6 s session; a loaded machine starts processes slowly), at a random moment.
        before = _applied(settings)[1]
        deadline = asyncio.get_running_loop().time() + 60
        while _applied(settings)[1] == before and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(rng.uniform(0.0, 1.0))
        for p in (relay, consumer):
            p.send_signal(signal.SIGKILL)
            p.wait()
        progress.append(_applied(settings)[1])
    await feeder

    relay, consumer = _start("relay", settings, group), _start("consumer", settings, group)
    try:
        deadline = asyncio.get_running_loop().time() + 180
        while _applied(settings)[1] < N and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.5)
        # Everything relayed, and every record read (copies republished after a kill
        # included), before counting.
        outbox = f"outbox:{intake.name}"
        await follower_caught_up(intake, lambda: intake.position(outbox), "relay", 60)
        topic = REFERRAL_EVENTS.named(settings.topic_prefix)
        await group_committed_to_end(settings.kafka_bootstrap, group, [topic])
    finally:
        for p in (relay, consumer):
            p.terminate()
            p.wait(timeout=30)
    print("applied at each kill:", progress)
    assert any(0 < p < N for p in progress), f"no kill landed mid-stream: {progress}"
    assert _applied(settings) == (N, N)
