"""Each stored event declared once, with its state change: an email's, a reminder's and a
case's state read back from their events alone; what is stored keeps its form (plain text,
the day as ISO text) so the stores of earlier releases still decode. The facts' rules,
written once on their values."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from eventsourcing.utils import get_topic

from services.notifications.application.app import NotificationsApp
from services.notifications.domain.known_case import KnownCase, known_case_id
from services.notifications.domain.notification import Notification, notification_id
from services.notifications.domain.reminder import Reminder
from services.notifications.domain.values import (
    Asked,
    EmailStatus,
    Page,
    Recipient,
    Source,
    Template,
    delivery_key,
)
from tests.unit.services.notifications.conftest import make_app

ASKED = Asked(
    source=Source("evt-1", "maag.panel.CasePaused.v1", "maag.panel.events", "corr-1"),
    case_id=uuid.UUID(int=1),
    template=Template.CONSENT_WITHDRAWN,
    recipient=Recipient("Lee@School.example"),
    context={"case_ref": "MAAG-00000000", "link": "https://maag.example/cases/x"},
)


def _reloaded(app: NotificationsApp, aggregate_id: uuid.UUID) -> object:
    return app.repository.get(aggregate_id)


def test_an_email_s_outcome_is_read_back_from_its_events(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    sent, failed = (
        Notification.ask(ASKED),
        Notification.ask(
            Asked(ASKED.source, ASKED.case_id, ASKED.template, Recipient("x@y.example"), {})
        ),
    )
    sent.sent(2)
    sent.failed("late", 3)  # settled: changes nothing
    failed.failed("550 " + "x" * 5000, 1)
    app.save(sent, failed)
    back = _reloaded(app, sent.id)
    assert isinstance(back, Notification)
    assert (back.status, back.version, back.template) == (EmailStatus.SENT, 2, "consent-withdrawn")
    assert back.id == notification_id("evt-1", "consent-withdrawn", "lee@school.example")
    again = _reloaded(app, failed.id)
    assert isinstance(again, Notification) and again.status == EmailStatus.FAILED
    (_, failure) = app.events.get(failed.id)
    assert isinstance(failure, Notification.Failed) and len(failure.reason) == 2000


def test_what_is_stored_keeps_its_form(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    reminder = Reminder.schedule(ASKED, date(2027, 2, 15))
    app.save(reminder, Notification.ask(ASKED))
    stored = {type(e).__name__: vars(e) for e in app.events.get(reminder.id)}
    assert stored["Scheduled"]["due_on"] == "2027-02-15"
    assert type(stored["Scheduled"]["template"]) is str
    (requested,) = app.events.get(
        notification_id("evt-1", "consent-withdrawn", "lee@school.example")
    )
    assert isinstance(requested, Notification.Requested)
    assert type(requested.template) is str and requested.recipient == "Lee@School.example"
    assert requested.context == dict(ASKED.context)


def test_the_stored_topics_are_the_previous_release_s() -> None:
    assert [get_topic(c) for c in (Notification.Sent, Reminder.Fired, KnownCase.Placed)] == [
        "services.notifications.domain.notification:Notification.Sent",
        "services.notifications.domain.reminder:Reminder.Fired",
        "services.notifications.domain.known_case:KnownCase.Placed",
    ]


def test_a_reminder_fires_once_and_keeps_what_was_asked(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    reminder = Reminder.schedule(ASKED, date(2027, 2, 15))
    assert not reminder.due(date(2027, 2, 14)) and reminder.due(date(2027, 2, 15))
    reminder.fire(uuid.uuid4())
    reminder.fire(uuid.uuid4())  # fired: not again
    app.save(reminder)
    back = _reloaded(app, reminder.id)
    assert isinstance(back, Reminder)
    assert (back.fired, back.version, back.due(date(2027, 3, 1))) == (True, 2, False)
    assert back.asked == Asked(
        ASKED.source, ASKED.case_id, ASKED.template, ASKED.recipient, dict(ASKED.context)
    )


def test_a_case_s_placing_is_read_back_and_a_repeat_changes_nothing(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    case = KnownCase(case_id=uuid.UUID(int=2))
    case.place(None, "earp")  # a move before any listing: no district to keep
    case.place("harlow", "maag")
    case.place("harlow", "maag")
    case.place(None, "earp")
    app.save(case)
    back = _reloaded(app, known_case_id(uuid.UUID(int=2)))
    assert isinstance(back, KnownCase)
    assert (back.district, back.tier, back.version) == ("harlow", "earp", 3)


def test_the_facts_rules() -> None:
    assert Recipient("lee@school.example").reachable
    assert Recipient.found(None, "provider", "pvi-9") == Recipient("unknown-provider:pvi-9")
    assert not Recipient.found(None, "provider", "pvi-9").reachable
    assert Recipient.found("a@b.example", "provider", "pvi-9") == Recipient("a@b.example")
    assert delivery_key("evt-1", "consent-withdrawn", "Lee@School.example") == (
        "evt-1|consent-withdrawn|lee@school.example"
    )
    assert Page.package(uuid.UUID(int=3)).url("https://m.example") == (
        "https://m.example/packages/00000000-0000-0000-0000-000000000003"
    )
    assert Page.front_door(uuid.UUID(int=3)).url("https://m.example") == (
        "https://m.example/front-door/00000000-0000-0000-0000-000000000003"
    )
