"""One follower loop for every log follower: it repeats while it moves, retries a failing
step with a growing pause (never giving up), stands by while another replica leads, lets
its owner handle what it declares fatal, and stops promptly."""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest

from maag.runtime.follow.follower import Follower, Wakeup


class Steps:
    def __init__(self, outcomes: list[int | Exception]) -> None:
        self.outcomes = outcomes
        self.calls = 0
        self.done = asyncio.Event()

    async def __call__(self) -> int:
        self.calls += 1
        if not self.outcomes:
            self.done.set()
            return 0
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class NotLeader:
    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.released = False

    def holds(self) -> bool:
        self.asked.set()
        return False

    def release(self) -> None:
        self.released = True


async def run_until(steps: Steps, follower: Follower) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(follower.run(stop))
    await asyncio.wait_for(steps.done.wait(), timeout=5)
    stop.set()
    await asyncio.wait_for(task, timeout=2)


async def test_it_repeats_while_the_step_moves_and_retries_failures() -> None:
    steps = Steps([3, 2, ConnectionError("store away"), OSError("again"), 1])
    await run_until(steps, Follower("t", steps, Wakeup(None, None)))
    assert steps.calls == 6  # five outcomes, then the idle step that found nothing


async def test_a_fatal_error_goes_to_the_owner() -> None:
    class Blocked(Exception):
        pass

    steps = Steps([Blocked("cannot publish")])
    with pytest.raises(Blocked):
        await Follower("t", steps, Wakeup(None, None), fatal=(Blocked,)).run(asyncio.Event())


async def test_it_stands_by_while_another_replica_leads_and_stops_promptly() -> None:
    steps = Steps([1])
    leadership = NotLeader()
    stop = asyncio.Event()
    follower = Follower("t", steps, Wakeup(None, None), leadership=leadership)  # type: ignore[arg-type]
    task = asyncio.create_task(follower.run(stop))
    await asyncio.wait_for(leadership.asked.wait(), timeout=2)
    stop.set()
    await asyncio.wait_for(task, timeout=2)  # not after the 1 s stand-by pause
    assert steps.calls == 0 and leadership.released


class Parked(asyncio.Event):
    """The follower's wake-up event, saying when the follower waits on it."""

    def __init__(self) -> None:
        super().__init__()
        self.parked = asyncio.Event()

    async def wait(self) -> Literal[True]:
        self.parked.set()
        return await super().wait()


class Woken(Wakeup):
    """A wakeup the test fires, with no poll to stand in for it."""

    def __init__(self) -> None:
        super().__init__(None, None)
        self.woken = Parked()

    @property
    def poll(self) -> float:
        return 60.0

    def register(self) -> asyncio.Event:
        with self._lock:
            self._waiters.append((asyncio.get_running_loop(), self.woken))
        return self.woken

    async def waiting(self) -> None:
        """Until the follower waits for a commit."""
        await asyncio.wait_for(self.woken.parked.wait(), timeout=5)
        self.woken.parked.clear()


async def test_a_step_that_read_less_than_its_batch_waits_for_the_next_commit() -> None:
    """It read everything there was: reading again at once finds nothing (a transaction
    per wake-up for nothing). A commit wakes it."""
    steps = Steps([3, 2])
    wakeup = Woken()
    stop = asyncio.Event()
    task = asyncio.create_task(Follower("t", steps, wakeup, batch=10, gather=0).run(stop))
    await wakeup.waiting()
    assert steps.calls == 1
    wakeup._fire()
    await wakeup.waiting()
    assert steps.calls == 2
    stop.set()
    await asyncio.wait_for(task, timeout=2)


async def test_a_step_that_read_a_whole_batch_reads_on_at_once() -> None:
    steps = Steps([10, 10, 4])
    wakeup = Woken()
    stop = asyncio.Event()
    task = asyncio.create_task(Follower("t", steps, wakeup, batch=10, gather=0).run(stop))
    await wakeup.waiting()
    assert steps.calls == 3  # two whole batches, then one that caught up
    stop.set()
    await asyncio.wait_for(task, timeout=2)
