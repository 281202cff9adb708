"""The sender records what it sent even when the first attempt to record fails (the store
away for a moment), and after a crash between the server's acceptance and the record it
records the email instead of sending it again."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from contracts.events.commissioning import DecommissionReason, PackageDecommissioned
from contracts.events.panel import CasePaused
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from services.notifications.adapters.journal import SentJournal
from services.notifications.adapters.smtp import TRACKING, Outcome, Sender
from services.notifications.application.app import NotificationsApp
from services.notifications.application.policies.on_case_paused import on_case_paused
from services.notifications.application.policies.on_package_decommissioned import (
    on_package_decommissioned,
)
from services.notifications.domain.notification import Notification
from tests.unit.services.notifications.conftest import ACTOR, NOW, delivered, make_app


def _one_asked(app: NotificationsApp) -> Notification:
    """One email asked for: the lead professional of a case whose consent was withdrawn."""
    event = CasePaused(
        case_id=uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        reason="x",
        lead_professional_email="l@s.example",
    )
    work = delivered(app, on_case_paused, event)
    work.commit()
    (asked,) = [a for a in work.aggregates if isinstance(a, Notification)]
    return asked


async def test_a_failed_record_is_retried_with_the_sent_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = NotificationsApp(Settings(data_dir=tmp_path))
    asked = _one_asked(app)
    sender = Sender(app, Settings(data_dir=tmp_path), dlq_producer=None)
    sends: list[Any] = []

    async def send(notification: Any) -> Outcome:
        sends.append(notification.id)
        return Outcome(True, 1)

    monkeypatch.setattr(sender, "send", send)
    real_record = app._record
    failures = [OperationalError("couldn't get a connection after 1.00 sec")]

    def flaky_record(processing_event: Any) -> Any:
        if failures:
            raise failures.pop()
        return real_record(processing_event)

    monkeypatch.setattr(app, "_record", flaky_record)
    assert await sender.deliver_once() == 1
    await sender.deliver_once()  # passes over its own Sent event; sends nothing again

    assert sends == [asked.id]
    assert app.repository.get(asked.id).status == "sent"  # the record was not lost
    assert app.position(TRACKING) == app.recorder.max_notification_id()


async def test_after_a_crash_between_acceptance_and_record_the_email_is_not_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    app = NotificationsApp(settings)
    asked = _one_asked(app)
    journal = SentJournal(read_model_engine(settings, "notifications"))
    sends: list[Any] = []

    async def send(notification: Any) -> Outcome:
        sends.append(notification.id)
        return Outcome(True, 2)

    class Crash(BaseException):
        """The process dying: nothing after it runs."""

    def crash(*_: Any) -> None:
        raise Crash

    first = Sender(app, settings, dlq_producer=None, journal=journal)
    monkeypatch.setattr(first, "send", send)
    monkeypatch.setattr(first, "record", crash)
    with pytest.raises(Crash):
        await first.deliver_once()
    assert app.repository.get(asked.id).status == "requested"  # the crash lost the record

    restarted = Sender(app, settings, dlq_producer=None, journal=journal)
    monkeypatch.setattr(restarted, "send", send)
    await restarted.deliver_once()
    assert sends == [asked.id]  # not sent again
    assert app.repository.get(asked.id).status == "sent"


async def test_recording_during_a_store_outage_stops_promptly_on_shutdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = NotificationsApp(Settings(data_dir=tmp_path))
    _one_asked(app)
    sender = Sender(app, Settings(data_dir=tmp_path), dlq_producer=None)
    failing = asyncio.Event()

    async def send(notification: Any) -> Outcome:
        return Outcome(True, 1)

    def store_away(processing_event: Any) -> Any:
        failing.set()
        raise OperationalError("couldn't get a connection")

    monkeypatch.setattr(sender, "send", send)
    monkeypatch.setattr(app, "_record", store_away)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    await asyncio.wait_for(failing.wait(), timeout=5)
    stop.set()
    await asyncio.wait_for(task, timeout=1)  # the old loop retried until the store came back
    assert app.position(TRACKING) is None, "nothing recorded: the restart finds it in the journal"


async def test_an_email_with_no_address_is_recorded_as_failed_and_dead_lettered(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path)
    event = PackageDecommissioned(
        case_id=uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        package_id=uuid.uuid4(),
        reason=DecommissionReason.CASE_CLOSED,
        effective_from=date(2027, 1, 1),
        provider_ids=["nobody-knows"],
    )
    delivered(app, on_package_decommissioned, event).commit()

    class Producer:
        def __init__(self) -> None:
            self.sent: list[tuple[str, dict[str, bytes]]] = []

        async def send_and_wait(self, topic: str, value: bytes, **kw: Any) -> None:
            self.sent.append((topic, dict(kw["headers"])))

    dlq = Producer()
    sender = Sender(app, Settings(data_dir=tmp_path), dlq_producer=dlq)
    await sender.deliver_once()
    ((topic, headers),) = dlq.sent
    assert topic == "maag.panel.events.dlq"
    assert headers["dlq_error"] == b"no email address: unknown-provider:nobody-knows"
    (failed,) = [
        e
        for n in app.notifications_after(0)
        if isinstance(e := app.mapper.to_domain_event(n), Notification.Failed)
    ]
    assert (failed.reason, failed.attempts) == (
        "no email address: unknown-provider:nobody-knows",
        0,
    )
    assert app.repository.get(failed.originator_id).status == "failed"
    await sender.deliver_once()  # passes over its own Failed event
    assert len(dlq.sent) == 1
    assert app.position(TRACKING) == app.recorder.max_notification_id()
