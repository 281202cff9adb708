"""The loop that sends reminders on their day: it looks for due ones in the read model every
`interval` seconds (on the clock it is given, so tests can move time) and fires each
(`application/commands/fire_reminder.py`) in its own transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

from eventsourcing.persistence import IntegrityError
from sqlalchemy.engine import Engine

from maag.runtime.follow.loops import Backoff, sleep_or_stop
from maag.runtime.logging import get_logger
from maag.runtime.store.unit_of_work import Work
from services.notifications.adapters import read_model
from services.notifications.application.app import NotificationsApp
from services.notifications.application.commands import SERVICE
from services.notifications.application.commands.fire_reminder import FireReminder

log = get_logger(__name__)


class ReminderLoop:
    def __init__(
        self,
        app: NotificationsApp,
        engine: Engine,
        today: Callable[[], date] = date.today,
        interval: float = 60.0,
    ) -> None:
        self.app = app
        self.engine = engine
        self.today = today
        self.interval = interval

    def tick(self) -> int:
        """Fire each reminder due today; returns how many became emails. One another replica
        fires at the same moment is refused by the store (the same ids), so none goes twice."""
        today, fired = self.today(), 0
        for reminder_id in read_model.due_reminders(self.engine, today):
            work = Work(self.app)
            fire = FireReminder(
                caller=SERVICE,
                correlation_id=str(reminder_id),
                reminder_id=reminder_id,
                today=today,
            )
            if self.app.handle(fire, work) is None:
                continue  # not due (fired since the read model was written)
            try:
                # Committed here, not by the pipeline: the events stay the service's own,
                # with no caller given them, as every reminder's always were.
                work.commit()
            except IntegrityError:
                continue  # fired by another replica meanwhile
            fired += 1
        return fired

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
