"""Group commit: many request threads' new events saved in few transactions.

The PostgreSQL recorder serialises an application's writers (it locks the events table
for each insert), and under the GIL a writer holding that lock waits its turn among the
request threads; so one commit per HTTP call caps a service at tens of calls a second.
One writer thread takes whatever calls are waiting and saves their events together. A
batch that fails on a conflict is retried call by call, so each call gets its own answer.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from maag.runtime import causation

if TYPE_CHECKING:
    from maag.runtime.store.application import ServiceApplication


@dataclass
class _Call:
    events: list[Any]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class GroupCommit:
    def __init__(self, app: ServiceApplication, max_batch: int = 200) -> None:
        self.app = app
        self.max_batch = max_batch
        self._calls: queue.Queue[_Call | None] = queue.Queue()
        threading.Thread(target=self._write, name=f"{app.name}-group-commit", daemon=True).start()

    def close(self) -> None:
        self._calls.put(None)

    def save(self, *aggregates: Aggregate) -> None:
        """Returns once the aggregates' new events are committed; raises what saving them raised."""
        # Take the events now: a failed batch must not lose them (save() drains aggregates).
        call = _Call([e for a in aggregates for e in a.collect_events()])
        causation.give(call.events)  # the writer thread has no request
        if not call.events:
            return
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
            try:
                self.app.save(*(e for call in batch for e in call.events))
            except IntegrityError:
                for call in batch:  # one of them conflicts: find out which
                    try:
                        self.app.save(*call.events)
                    except BaseException as e:
                        call.error = e
            except BaseException as e:
                for call in batch:
                    call.error = e
            for call in batch:
                call.done.set()
