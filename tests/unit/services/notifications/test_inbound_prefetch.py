"""What a batch reads at once (`prefetch`) is what the lead professional's policy loads: the
email it asks for and what is known of the case, so handling the event reads nothing more
from the store, the first time and when it comes again."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from contracts.events.panel import LeadProfessionalAssigned
from contracts.reference import Agency, Panel
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.adapters.inbound import prefetch
from services.notifications.application.app import NotificationsApp
from services.notifications.application.policies.on_lead_professional_assigned import (
    on_lead_professional_assigned,
)
from services.notifications.domain.known_case import KnownCase
from services.notifications.domain.notification import Notification
from tests.unit.services.notifications.conftest import ACTOR, NOW, envelope


def _assigned() -> Delivery[LeadProfessionalAssigned]:
    event = LeadProfessionalAssigned(
        case_id=uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        panel=Panel.MAAG,
        meeting_id=uuid.uuid4(),
        professional_id="lp",
        professional_name="Lee",
        agency=Agency.EDUCATION,
        work_email="lee@s.example",
    )
    return Delivery(event, envelope(event, "evt-lead"), "maag.panel.events", 0, 0)


def _handled_reading_only_the_batch(app: NotificationsApp, d: Delivery[Any]) -> Work:
    ids = prefetch(d)
    work = Work(app, ids, app.histories(ids))
    on_lead_professional_assigned(d, work)
    return work


def test_the_lead_professionals_policy_reads_only_what_its_batch_read(
    app: NotificationsApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unread(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("read one by one, not with the batch")

    d = _assigned()
    with monkeypatch.context() as m:
        m.setattr(app.repository, "get", unread)
        first = _handled_reading_only_the_batch(app, d)
    first.commit()
    kinds = {type(a) for a in first.aggregates}
    assert kinds == {Notification, KnownCase}
    with monkeypatch.context() as m:  # again (a redelivery): found, nothing more asked
        m.setattr(app.repository, "get", unread)
        again = _handled_reading_only_the_batch(app, d)
    assert not [e for a in again.aggregates for e in a.pending_events]
