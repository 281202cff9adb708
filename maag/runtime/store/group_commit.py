"""Group commit: many request threads' new events saved in few transactions.

The PostgreSQL recorder serialises an application's writers (it locks the events table
for each insert), and under the GIL a writer holding that lock waits its turn among the
request threads; so one commit per HTTP call caps a service at tens of calls a second.
One writer thread takes whatever calls are waiting and saves their events together. A
batch that one call's events fail (a conflict, or what sealing or the mapper raised) is
retried call by call, so each call gets its own answer; a batch the database itself fails
fails every call in it.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from maag.runtime import causation
from maag.runtime.store.liveness import STORE_UNAVAILABLE

if TYPE_CHECKING:
    from maag.runtime.store.application import ServiceApplication


@dataclass
class _Call:
    events: list[Any]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class WriterClosed(RuntimeError):
    """The service is shutting down: nothing more is committed."""


class GroupCommit:
    def __init__(self, app: ServiceApplication, max_batch: int = 200) -> None:
        self.app = app
        self.max_batch = max_batch
        self._calls: queue.Queue[_Call | None] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(
            target=self._write, name=f"{app.name}-group-commit", daemon=True
        )
        self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        """Commits what is queued, refuses what comes after, and waits for the writer: the
        store is closed only once nothing is being written to it."""
        self._closed = True
        self._calls.put(None)
        self._thread.join(timeout)

    def save(self, *aggregates: Aggregate) -> None:
        """Returns once the aggregates' new events are committed; raises what saving them raised."""
        # Take the events now: a failed batch must not lose them (save() drains aggregates).
        call = _Call([e for a in aggregates for e in a.collect_events()])
        causation.give(call.events)  # the writer thread has no request
        if not call.events:
            return
        if self._closed:
            raise WriterClosed(f"{self.app.name} is shutting down")
        self._calls.put(call)
        call.done.wait()
        if call.error is not None:
            raise call.error

    def _write(self) -> None:
        while (first := self._calls.get()) is not None:
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    call = self._calls.get_nowait()
                except queue.Empty:
                    break
                if call is None:
                    self._calls.put(None)  # close after this batch
                    break
                batch.append(call)
            self._commit(batch)
        while True:  # closed: whatever raced the close is refused, never left waiting
            try:
                late = self._calls.get_nowait()
            except queue.Empty:
                return
            if late is not None:
                late.error = WriterClosed(f"{self.app.name} is shutting down")
                late.done.set()

    def _commit(self, batch: list[_Call]) -> None:
        try:
            self.app.save(*(e for call in batch for e in call.events))
        except STORE_UNAVAILABLE as e:
            # the database itself failed (away, or the connection lost): every call's answer
            for call in batch:
                call.error = e
        except BaseException:
            # one call's events were refused (a conflict, or what sealing or the mapper raised
            # for them): the batch rolled back, so each call is saved alone for its own answer
            for call in batch:
                try:
                    self.app.save(*call.events)
                except BaseException as e:
                    call.error = e
        for call in batch:
            call.done.set()
