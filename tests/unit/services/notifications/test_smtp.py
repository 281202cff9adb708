"""The sender records what it sent even when the first attempt to record fails (the store
away for a moment), and after a crash between the server's acceptance and the record it
records the email instead of sending it again. It records a stretch of the log in one
commit, each acceptance journalled at once; sooner where the journal missed one, before a
retry waits, and when it stops mid-stretch; a failure dead-lettered before it is recorded."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from eventsourcing.persistence import OperationalError

from contracts.events.commissioning import DecommissionReason, PackageDecommissioned
from contracts.events.panel import CasePaused
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from services.notifications.adapters import smtp
from services.notifications.adapters.journal import SentJournal
from services.notifications.adapters.smtp import TRACKING, Outcome, Sender, Stopping
from services.notifications.application.app import NotificationsApp
from services.notifications.application.policies.on_case_paused import on_case_paused
from services.notifications.application.policies.on_package_decommissioned import (
    on_package_decommissioned,
)
from services.notifications.domain.notification import Notification
from tests.unit.services.notifications.conftest import ACTOR, NOW, delivered, make_app


def _one_asked(
    app: NotificationsApp, event_id: str = "evt-1", case_id: uuid.UUID | None = None
) -> Notification:
    """One email asked for: the lead professional of a case whose consent was withdrawn."""
    event = CasePaused(
        case_id=case_id or uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        reason="x",
        lead_professional_email="l@s.example",
    )
    work = delivered(app, on_case_paused, event, event_id)
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

    async def send(notification: Any, *_: Any) -> Outcome:
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

    async def send(notification: Any, *_: Any) -> Outcome:
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

    async def send(notification: Any, *_: Any) -> Outcome:
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


# --- a stretch of the log recorded in one commit; each acceptance journalled at once ---
# (on one lane: emails in the log's order across cases; several lanes further down)


class _Crash(BaseException):
    """The process dying: nothing after it runs."""


def _journal(settings: Settings) -> SentJournal:
    return SentJournal(read_model_engine(settings, "notifications"))


def _asked(app: NotificationsApp, n: int) -> list[Notification]:
    """`n` emails asked for, in the order of the log."""
    return [_one_asked(app, f"evt-{i}") for i in range(n)]


def _position(app: NotificationsApp, asked: Notification) -> int:
    """Where in the log the email was asked for."""
    (position,) = [
        n.id
        for n in app.notifications_after(0)
        if n.originator_id == asked.id
        and isinstance(app.mapper.to_domain_event(n), Notification.Requested)
    ]
    return int(position)


def _statuses(app: NotificationsApp, asked: list[Notification]) -> list[str]:
    return [app.repository.get(n.id).status for n in asked]


class _Steps:
    """What the sender did, in order: each email sent, each commit of outcomes (with its
    position and how many events), each wait before a retry."""

    def __init__(self, sender: Sender, monkeypatch: pytest.MonkeyPatch) -> None:
        self.done: list[tuple[str, Any]] = []
        real_record = sender.record

        def record(position: int, events: list[Any]) -> None:
            self.done.append(("record", (position, len(events))))
            real_record(position, events)

        monkeypatch.setattr(sender, "record", record)

    def sent(self, notification: Notification) -> None:
        self.done.append(("send", notification.id))

    @property
    def records(self) -> list[tuple[int, int]]:
        return [what for step, what in self.done if step == "record"]


async def test_a_stretch_of_emails_is_recorded_in_one_commit_after_each_is_journalled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=1)
    app = NotificationsApp(settings)
    asked = _asked(app, 5)
    last = app.recorder.max_notification_id()
    journal = _journal(settings)
    sender = Sender(app, settings, dlq_producer=None, journal=journal)
    steps = _Steps(sender, monkeypatch)

    async def send(notification: Notification, *_: Any) -> Outcome:
        # each one before it journalled the moment the server accepted it
        before = [n.id for n in asked[: asked.index(notification)]]
        assert set(journal.sent_among(before)) == set(before)
        steps.sent(notification)
        return Outcome(True, 1)

    monkeypatch.setattr(sender, "send", send)
    assert await sender.deliver_once() == last
    assert steps.records == [(last, 5)]  # one commit for the five (five before)
    assert _statuses(app, asked) == ["sent"] * 5
    assert journal.sent_among([n.id for n in asked]) == {n.id: 1 for n in asked}
    assert app.position(TRACKING) == last


async def test_a_crash_before_the_stretch_is_recorded_sends_none_of_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=1)
    app = NotificationsApp(settings)
    asked = _asked(app, 3)
    sends: list[Any] = []

    async def send(notification: Notification, *_: Any) -> Outcome:
        sends.append(notification.id)
        return Outcome(True, 1)

    def crash(*_: Any) -> None:
        raise _Crash

    first = Sender(app, settings, dlq_producer=None, journal=_journal(settings))
    monkeypatch.setattr(first, "send", send)
    monkeypatch.setattr(first, "record", crash)
    with pytest.raises(_Crash):
        await first.deliver_once()
    assert _statuses(app, asked) == ["requested"] * 3  # the crash lost the record

    restarted = Sender(app, settings, dlq_producer=None, journal=_journal(settings))
    monkeypatch.setattr(restarted, "send", send)
    await restarted.deliver_once()
    assert sends == [n.id for n in asked]  # each sent once
    assert _statuses(app, asked) == ["sent"] * 3


async def test_an_acceptance_the_journal_missed_is_recorded_before_the_next_email(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=1)
    app = NotificationsApp(settings)
    asked = _asked(app, 3)
    journal = _journal(settings)
    sender = Sender(app, settings, dlq_producer=None, journal=journal)
    steps = _Steps(sender, monkeypatch)

    async def send(notification: Notification, *_: Any) -> Outcome:
        steps.sent(notification)
        return Outcome(True, 1)

    def store_away(notification_id: Any, attempts: int) -> None:
        raise OperationalError("couldn't get a connection")

    monkeypatch.setattr(sender, "send", send)
    monkeypatch.setattr(journal, "accepted", store_away)
    await sender.deliver_once()
    # as without a journal: a crash can only ever resend the one email
    assert [step for step, _ in steps.done] == ["send", "record"] * 3
    assert _statuses(app, asked) == ["sent"] * 3


async def test_stopping_mid_stretch_records_what_was_sent_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=1)
    app = NotificationsApp(settings)
    asked = _asked(app, 3)
    sender = Sender(app, settings, dlq_producer=None, journal=_journal(settings))

    async def send(notification: Notification, *_: Any) -> Outcome:
        if notification.id == asked[2].id:  # stopped while the mail server refused it
            raise Stopping("stopped while the mail server was refusing")
        return Outcome(True, 1)

    monkeypatch.setattr(sender, "send", send)
    with pytest.raises(Stopping):
        await sender.deliver_once()
    assert _statuses(app, asked) == ["sent", "sent", "requested"]
    assert app.position(TRACKING) == _position(app, asked[1])  # up to the last one sent


async def test_stopping_while_the_store_is_away_leaves_the_stretch_to_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=1)
    app = NotificationsApp(settings)
    asked = _asked(app, 3)
    sends: list[Any] = []
    failing = asyncio.Event()

    async def send(notification: Notification, *_: Any) -> Outcome:
        sends.append(notification.id)
        return Outcome(True, 1)

    def store_away(processing_event: Any) -> Any:
        failing.set()
        raise OperationalError("couldn't get a connection")

    sender = Sender(app, settings, dlq_producer=None, journal=_journal(settings))
    monkeypatch.setattr(sender, "send", send)
    with monkeypatch.context() as away:
        away.setattr(app, "_record", store_away)
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        await asyncio.wait_for(failing.wait(), timeout=5)
        stop.set()
        await asyncio.wait_for(task, timeout=1)
    assert app.position(TRACKING) is None  # nothing recorded

    restarted = Sender(app, settings, dlq_producer=None, journal=_journal(settings))
    monkeypatch.setattr(restarted, "send", send)
    await restarted.deliver_once()  # the store back
    assert sends == [n.id for n in asked]  # none sent again
    assert _statuses(app, asked) == ["sent"] * 3


async def test_what_was_sent_is_recorded_before_a_retry_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=1, smtp_retry_seconds=60)
    app = NotificationsApp(settings)
    asked = _asked(app, 3)
    sender = Sender(app, settings, dlq_producer=None, journal=_journal(settings))
    steps = _Steps(sender, monkeypatch)
    attempts: list[str] = []

    async def deliver(msg: Any, *_: Any) -> None:
        attempts.append(msg["Message-ID"])
        if len(attempts) == 2:  # the second email refused once, for now
            raise aiosmtplib.SMTPResponseException(451, "try again later")
        steps.done.append(("send", msg["Message-ID"]))

    async def wait(stop: asyncio.Event, seconds: float) -> None:
        steps.done.append(("wait", seconds))

    monkeypatch.setattr(sender, "_deliver", deliver)
    monkeypatch.setattr(smtp, "sleep_or_stop", wait)
    await sender.deliver_once()
    # the first email's Sent recorded, not left waiting on the mail server
    assert steps.done[:3] == [
        ("send", asked[0].message_id),
        ("record", (_position(app, asked[0]), 1)),
        ("wait", 0.5),
    ]
    assert [what for step, what in steps.done if step == "send"] == [n.message_id for n in asked]
    assert _statuses(app, asked) == ["sent"] * 3
    assert sender.retries == 1


async def test_a_failure_mid_stretch_is_dead_lettered_before_it_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=1)
    app = NotificationsApp(settings)
    asked = _asked(app, 3)
    refused = asked[0].id
    sends: list[Any] = []
    done: list[str] = []

    class Producer:
        async def send_and_wait(self, topic: str, value: bytes, **kw: Any) -> None:
            done.append("dead-lettered")

    async def send(notification: Notification, *_: Any) -> Outcome:
        sends.append(notification.id)
        if notification.id == refused:
            return Outcome(False, 1, "permanent: 550 mailbox unavailable")
        return Outcome(True, 1)

    def crash(*_: Any) -> None:
        done.append("record")
        raise _Crash

    first = Sender(app, settings, dlq_producer=Producer(), journal=_journal(settings))
    monkeypatch.setattr(first, "send", send)
    monkeypatch.setattr(first, "record", crash)
    with pytest.raises(_Crash):
        await first.deliver_once()
    assert done == ["dead-lettered", "record"]

    restarted = Sender(app, settings, dlq_producer=Producer(), journal=_journal(settings))
    monkeypatch.setattr(restarted, "send", send)
    await restarted.deliver_once()
    # none sent twice; the failure never lost, at worst dead-lettered twice
    assert Counter(sends) == {refused: 2, asked[1].id: 1, asked[2].id: 1}
    assert done == ["dead-lettered", "record", "dead-lettered"]
    assert _statuses(app, asked) == ["failed", "sent", "sent"]


async def test_a_stretch_whose_commit_went_through_unseen_is_not_recorded_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=1)
    app = NotificationsApp(settings)
    asked = _asked(app, 3)
    sender = Sender(app, settings, dlq_producer=None, journal=_journal(settings))
    sends: list[Any] = []

    async def send(notification: Notification, *_: Any) -> Outcome:
        sends.append(notification.id)
        return Outcome(True, 1)

    real_record = app._record
    lost = [OperationalError("server closed the connection unexpectedly")]

    def committed_but_lost(processing_event: Any) -> Any:
        result = real_record(processing_event)  # the second try: IntegrityError
        if lost:
            raise lost.pop()
        return result

    monkeypatch.setattr(sender, "send", send)
    monkeypatch.setattr(app, "_record", committed_but_lost)
    await sender.deliver_once()
    await sender.deliver_once()  # passes over its own Sent events
    assert sends == [n.id for n in asked]
    assert _statuses(app, asked) == ["sent"] * 3
    assert app.position(TRACKING) == app.recorder.max_notification_id()


def test_what_is_asked_for_is_found_without_decoding_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=1)
    app = NotificationsApp(settings)
    asked = _asked(app, 3)
    sender = Sender(app, settings, dlq_producer=None)
    after, last, found = sender.pending()
    expected = [(_position(app, n), n.id) for n in asked]
    assert (after, last, found) == (0, app.recorder.max_notification_id(), expected)
    # found again with the mapper refusing to decode: told by each event's topic
    sender.record(expected[0][0], [])  # (the first one's outcome recorded: not asked again)

    def decoding(*_: Any) -> None:
        raise AssertionError("decoded an event to tell what it asks for")

    monkeypatch.setattr(app.mapper, "to_domain_event", decoding)
    assert sender.pending() == (expected[0][0], last, expected[1:])


# --- lanes: several emails in flight at once, each case's one at a time, in order ---


async def test_emails_of_different_cases_go_out_at_once_each_case_in_the_order_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=3)
    app = NotificationsApp(settings)
    cases = [uuid.uuid4() for _ in range(3)]
    asked = [_one_asked(app, f"evt-{i}", cases[i % 3]) for i in range(9)]
    last = app.recorder.max_notification_id()
    sender = Sender(app, settings, dlq_producer=None, journal=_journal(settings))
    steps = _Steps(sender, monkeypatch)
    at_once = asyncio.Barrier(3)
    sending: set[uuid.UUID] = set()
    sent: list[Notification] = []

    async def send(notification: Notification, *_: Any) -> Outcome:
        assert notification.case_id not in sending, "two of one case's emails at once"
        first = all(n.case_id != notification.case_id for n in sent)
        sending.add(notification.case_id)
        if first:  # each case's first email in flight while the other cases' are
            await asyncio.wait_for(at_once.wait(), timeout=5)
        sending.discard(notification.case_id)
        sent.append(notification)
        return Outcome(True, 1)

    monkeypatch.setattr(sender, "send", send)
    assert await sender.deliver_once() == last
    for case in cases:
        assert [n.id for n in sent if n.case_id == case] == [
            n.id for n in asked if n.case_id == case
        ]
    assert len(sent) == 9
    assert steps.records == [(last, 9)]  # still one commit for the stretch
    assert _statuses(app, asked) == ["sent"] * 9


async def test_a_crash_resends_at_most_the_one_unjournalled_email_of_each_lane(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=3)
    app = NotificationsApp(settings)
    cases = [uuid.uuid4() for _ in range(3)]
    asked = [_one_asked(app, f"evt-{i}", cases[i % 3]) for i in range(6)]
    journal = _journal(settings)
    sends: list[uuid.UUID] = []
    unjournalled: set[uuid.UUID] = set()  # accepted by the server, not yet in the journal
    at_crash: set[uuid.UUID] = set()
    at_once = asyncio.Barrier(3)

    async def send(notification: Notification, *_: Any) -> Outcome:
        first = notification.id in {n.id for n in asked[:3]}
        sends.append(notification.id)
        unjournalled.add(notification.id)  # accepted; the answer on its way back
        if first:
            await asyncio.wait_for(at_once.wait(), timeout=5)
        return Outcome(True, 1)

    def crash(*_: Any) -> None:
        at_crash.update(unjournalled)
        raise _Crash

    first = Sender(app, settings, dlq_producer=None, journal=journal)
    monkeypatch.setattr(first, "send", send)
    monkeypatch.setattr(journal, "accepted", crash)  # dies before journalling the first
    monkeypatch.setattr(first, "record", crash)
    with pytest.raises(_Crash):
        await first.deliver_once()
    assert len(at_crash) == 3  # one a lane: the most a crash can catch unjournalled
    assert _statuses(app, asked) == ["requested"] * 6
    monkeypatch.undo()

    restarted = Sender(app, settings, dlq_producer=None, journal=_journal(settings))
    monkeypatch.setattr(restarted, "send", send)
    await restarted.deliver_once()
    counted = Counter(sends)
    assert {n for n, times in counted.items() if times == 2} == at_crash
    assert set(counted) == {n.id for n in asked} and max(counted.values()) == 2
    assert _statuses(app, asked) == ["sent"] * 6


async def test_the_log_is_read_again_from_the_first_email_not_sent_passing_over_later_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=2)
    app = NotificationsApp(settings)
    a, b = uuid.uuid4(), uuid.uuid4()
    a1, b1, a2, b2 = (_one_asked(app, f"evt-{i}", case) for i, case in enumerate([a, b, a, b]))
    sends: list[uuid.UUID] = []
    a2_sent = asyncio.Event()
    refusing = [b1.id]

    async def send(notification: Notification, *_: Any) -> Outcome:
        if notification.id in refusing:  # refused until the service stopped
            await asyncio.wait_for(a2_sent.wait(), timeout=5)
            raise Stopping("stopped while the mail server was refusing")
        sends.append(notification.id)
        if notification.id == a2.id:
            a2_sent.set()
        return Outcome(True, 1)

    sender = Sender(app, settings, dlq_producer=None, journal=_journal(settings))
    monkeypatch.setattr(sender, "send", send)
    with pytest.raises(Stopping):
        await sender.deliver_once()
    assert _statuses(app, [a1, b1, a2, b2]) == ["sent", "requested", "sent", "requested"]
    assert app.position(TRACKING) == _position(app, a1)  # before the first not sent

    refusing.clear()
    restarted = Sender(app, settings, dlq_producer=None, journal=_journal(settings))
    monkeypatch.setattr(restarted, "send", send)
    await restarted.deliver_once()
    await restarted.deliver_once()  # passes over its own Sent events
    assert sends == [a1.id, a2.id, b1.id, b2.id]  # a2 passed over: recorded already
    assert _statuses(app, [a1, b1, a2, b2]) == ["sent"] * 4
    assert app.position(TRACKING) == app.recorder.max_notification_id()


async def test_a_lane_that_stops_stops_the_others_after_the_email_each_has_in_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, smtp_connections=2)
    app = NotificationsApp(settings)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a1, b1, a2, c1 = (_one_asked(app, f"evt-{i}", case) for i, case in enumerate([a, b, a, c]))
    sends: list[uuid.UUID] = []
    b1_refused = asyncio.Event()

    async def send(notification: Notification, *_: Any) -> Outcome:
        if notification.id == b1.id:
            b1_refused.set()
            raise Stopping("stopped while the mail server was refusing")
        if notification.id == a1.id:  # in hand on the other lane when this one stops
            await asyncio.wait_for(b1_refused.wait(), timeout=5)
        sends.append(notification.id)
        return Outcome(True, 1)

    sender = Sender(app, settings, dlq_producer=None, journal=_journal(settings))
    monkeypatch.setattr(sender, "send", send)
    with pytest.raises(Stopping):
        await sender.deliver_once()
    assert sends == [a1.id]  # a2 and c1 left for the next step
    assert _statuses(app, [a1, b1, a2, c1]) == ["sent", "requested", "requested", "requested"]
    assert app.position(TRACKING) == _position(app, a1)
