"""The outcomes' translator reads the emails a relay batch publishes for in one query
(`Translator.prepare`), and translates each as reading it alone would."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from maag.runtime.messaging.outbox import OutboxRelay
from services.notifications.adapters.translate import CLASSES, Translator
from services.notifications.application.app import NotificationsApp
from services.notifications.domain.notification import Notification
from tests.support.pipeline import FakeProducer, histories_read


def _asked(i: int) -> Notification:
    return Notification(
        source_event_id=f"evt-{i}",
        source_type="LeadProfessionalAssigned",
        source_topic="maag.panel.events",
        case_id=uuid.uuid4(),
        template="lead-professional-assigned",
        recipient=f"lead{i}@school.example",
        context={"case": str(i)},
        correlation_id=f"c{i}",
    )


@pytest.fixture
def outcomes(app: NotificationsApp) -> list[Any]:
    """Two emails sent and one failed, and what the store holds of them, decoded."""
    emails = [_asked(i) for i in range(3)]
    app.save(*emails)
    emails[0].sent(1)
    emails[1].failed("permanent: 550 no such mailbox", 1)
    emails[2].sent(3)
    app.save(*emails)
    return [app.mapper.to_domain_event(n) for n in app.notifications(0, 100)]


def test_a_prepared_batch_translates_as_each_read_alone(
    app: NotificationsApp, outcomes: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    published = [e for e in outcomes if isinstance(e, CLASSES.published)]
    assert len(published) == 3
    alone = [Translator(app)(e) for e in published]
    prepared = Translator(app)
    prepared.prepare(published)

    def unread(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("read alone, though prepared")

    monkeypatch.setattr(app.repository, "get", unread)
    assert [prepared(e) for e in published] == alone


def test_the_relay_prepares_each_batch_once(
    app: NotificationsApp, outcomes: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = histories_read(app, monkeypatch)
    relay = OutboxRelay(app, CLASSES, Translator(app), FakeProducer(), source="notifications")
    last, publications = relay.pending(0)
    assert last == len(outcomes) and len(publications) == 3
    assert asked == [{e.originator_id for e in outcomes}]


def test_a_batch_the_store_could_not_prepare_is_translated_event_by_event(
    app: NotificationsApp, outcomes: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def away(ids: Any) -> Any:
        raise OSError("the store is away")

    monkeypatch.setattr(app, "histories", away)
    relay = OutboxRelay(app, CLASSES, Translator(app), FakeProducer(), source="notifications")
    _, publications = relay.pending(0)
    assert len(publications) == 3
