"""The loop that sends reminders on their day: it looks for due ones in the read model every
`interval` seconds (on the clock it is given, so tests can move time)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from uuid import UUID

from sqlalchemy.engine import Engine

from maag.runtime.follow.loops import Backoff, sleep_or_stop
from maag.runtime.logging import get_logger
from maag.runtime.store.application import ServiceApplication
from services.notifications.adapters import read_model
from services.notifications.application.reminders import fire

log = get_logger(__name__)


class ReminderLoop:
    def __init__(
        self,
        app: ServiceApplication,
        engine: Engine,
        today: Callable[[], date] = date.today,
        interval: float = 60.0,
    ) -> None:
        self.app = app
        self.engine = engine
        self.today = today
        self.interval = interval

    def tick(self) -> int:
        today = self.today()
        due = [UUID(r) for r in read_model.due_reminders(self.engine, today)]
        return fire(self.app, due, today) if due else 0

    async def run(self, stop: asyncio.Event) -> None:
        backoff = Backoff()
        while not stop.is_set():
            try:
                if sent := await asyncio.to_thread(self.tick):
                    log.info("reminders due sent to the mail queue", count=sent)
                backoff.reset()
                await sleep_or_stop(stop, self.interval)
            except Exception as e:  # the store away: try again, never give up
                log.warning("reminders retrying", error=repr(e))
                await sleep_or_stop(stop, backoff.next())
