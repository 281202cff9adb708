"""Followers wake when an event commits (eventsourcing's NOTIFY on PostgreSQL), not at the
next poll: with the safety poll set far beyond the test's bound, a commit made by another
connection is acted on at once."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from maag.runtime.follow import follower
from maag.runtime.follow.follower import Follower, Wakeup, channel_of, in_thread
from maag.runtime.settings import Settings
from tests.support.pipeline import IntakeApp


async def test_a_commit_wakes_an_idle_follower_without_waiting_for_the_poll(
    postgres_url: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(follower, "POLL_WITH_NOTIFY", 60.0)  # the poll alone would be too late
    settings = Settings(postgres_url=postgres_url, postgres_schema=pg_schema)
    app = IntakeApp(settings)
    writer = IntakeApp(settings)  # another process's connection, in effect
    wakeup = Wakeup.of(app, postgres_url)
    assert wakeup.channel is not None and wakeup.channel == channel_of(writer)
    seen: list[int] = []
    caught_up = asyncio.Event()

    def step() -> int:
        after = seen[-1] if seen else 0
        found = [n.id for n in app.notifications(after, 100)]
        seen.extend(found)
        if len(seen) >= 2:
            caught_up.set()
        return len(found)

    stop = asyncio.Event()
    running = asyncio.create_task(Follower("test", in_thread(step), wakeup).run(stop))
    try:
        await asyncio.to_thread(writer.receive, [(uuid.uuid4(), "CAF-1")])
        await asyncio.to_thread(wakeup.listening.wait, 10)
        assert wakeup.listening.is_set()
        await asyncio.to_thread(writer.receive, [(uuid.uuid4(), "CAF-2")])
        started = time.monotonic()
        await asyncio.wait_for(caught_up.wait(), timeout=10)
        assert time.monotonic() - started < 5  # woken by NOTIFY: the poll is 60 s away
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=5)
        app.close()
        writer.close()
