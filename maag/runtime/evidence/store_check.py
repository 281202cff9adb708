"""A service's tamper check kept walked: its whole hash chain, held to its anchors, walked
every `MAAG_STORE_CHECK_INTERVAL` seconds beside the service, the latest verdict kept with
when it was walked, and said on `/metrics` (`maag_store_intact`), so a break is found
without anyone asking.

A walk reads every stored event (its cost grows with the store: some 150,000 events a
second on one core), so the auditor's page shows the latest walk, with its time, and walks
every store again only when asked; `GET /audit/store` still walks now.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka.errors import KafkaError

from maag.runtime.evidence import anchors, keyring
from maag.runtime.evidence.anchors import Anchorer
from maag.runtime.evidence.chain import EventChain, Verdict
from maag.runtime.follow.loops import sleep_or_stop
from maag.runtime.settings import Settings
from maag.runtime.web.metrics import STORE_INTACT, STORE_WALKED

log = structlog.get_logger()

FIRST_WALK = 30.0  # seconds after start: the anchorer has anchored a new store by then


class AnchorsUnreadable(Exception):
    pass


@dataclass(frozen=True)
class Checked:
    """A walk's verdict, as the auditor's endpoints give it."""

    report: dict[str, Any]
    walked_at: datetime
    seconds: float  # how long the walk took

    def to_json(self) -> dict[str, Any]:
        return {
            **self.report,
            "walked_at": self.walked_at.isoformat(),
            "walk_seconds": round(self.seconds, 3),
        }


class StoreCheck:
    """The service's tamper check, walked now or kept from the latest walk."""

    def __init__(
        self,
        service: str,
        chain: EventChain,
        settings: Settings,
        anchorer: Anchorer | None = None,
    ) -> None:
        self.service = service
        self.chain = chain
        self.settings = settings
        self.anchorer = anchorer
        self.interval = settings.store_check_interval
        self.latest: Checked | None = None
        self._walking = asyncio.Lock()  # one walk at a time: a second waits for the store

    async def walk(self) -> Checked:
        """Walk the whole chain now, its head anchored first (by the service's anchorer, if
        it has not anchored it yet): a store's first events, chained a moment before, are
        then not "unanchored". A walk that finds a break is walked again once after that
        (events chained while it walked), so a verdict of broken is not a race's. The
        verdict is kept as the latest."""
        async with self._walking:
            started = time.perf_counter()
            await self._anchor()
            verdict = await self._verdict()
            if not verdict.clean and await self._anchor():
                verdict = await self._verdict()
            checked = Checked(
                {
                    "service": self.service,
                    "intact": verdict.clean,
                    "chained": verdict.chained,
                    "head": verdict.head,
                    "stored_head": verdict.stored_head,
                    "anchors": verdict.anchors,
                    "anchored_head": verdict.anchored_head,
                    "breaks": [str(b) for b in verdict.breaks],
                },
                datetime.now(UTC),
                time.perf_counter() - started,
            )
        self.latest = checked
        STORE_INTACT.labels(self.service).set(1 if verdict.clean else 0)
        STORE_WALKED.labels(self.service).set(checked.walked_at.timestamp())
        if not verdict.clean:
            log.error(
                "store check: history not intact",
                service=self.service,
                breaks=len(verdict.breaks),
                first=str(verdict.breaks[0]) if verdict.breaks else None,
            )
        return checked

    async def _anchor(self) -> bool:
        """Whether the anchorer anchored a head that had moved."""
        if self.anchorer is None:
            return False
        try:
            # "interval": the anchor contract's reasons are the schedule's and the shutdown's,
            # and this is the schedule's anchor, made early
            return await self.anchorer.anchor("interval") is not None
        except Exception as e:  # the broker away: the walk says what that means
            log.warning("store check could not anchor", service=self.service, error=repr(e))
            return False

    async def _verdict(self) -> Verdict:
        try:
            records = await anchors.read_anchors(self.settings)
        except (KafkaError, OSError) as e:
            raise AnchorsUnreadable(f"the anchors cannot be read: {e!r}") from e
        return await asyncio.to_thread(
            keyring.verified, self.chain, records, self.settings, self.service
        )

    async def kept(self) -> Checked:
        """The latest walk's verdict; walked now when there is none yet, or the one kept is
        older than two intervals (the loop stopped)."""
        latest = self.latest
        if latest is None or (
            (datetime.now(UTC) - latest.walked_at).total_seconds() > 2 * self.interval
        ):
            return await self.walk()
        return latest

    async def run(self, stop: asyncio.Event) -> None:
        """Walk every interval (the first soon after start), until `stop`."""
        wait = min(FIRST_WALK, self.interval)
        while True:
            await sleep_or_stop(stop, wait)
            if stop.is_set():
                return
            wait = self.interval
            try:
                await self.walk()
            except Exception as e:  # the broker or the database away: the next interval
                log.warning("store check retrying", service=self.service, error=repr(e))
