"""The notifications service's store on SQLite, with the checked-in contacts directory, and
an event delivered to one of its policies as the consumer would (then committed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts.envelope import Envelope
from contracts.events import Actor, IntegrationEvent
from contracts.reference import Role
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work
from services.notifications.adapters.directory import ProviderDirectory
from services.notifications.application.app import NotificationsApp
from services.notifications.domain.notification import Notification

ACTOR = Actor(user_id="u", role=Role.PANEL_MEMBER, agency="social-care")
NOW = datetime(2026, 11, 27, tzinfo=UTC)
BASE_URL = "https://maag.example"

# A policy as `adapters/inbound.py` routes to it.
Policy = Callable[[Delivery[Any], Work[NotificationsApp]], None]
Ask = Callable[..., list[Notification]]


def make_app(tmp_path: Path, **settings: Any) -> NotificationsApp:
    directory = ProviderDirectory()
    return NotificationsApp(
        Settings(data_dir=tmp_path, web_base_url=BASE_URL, **settings),
        email_of=directory.email_of,
        members_of=directory.members_of,
    )


@pytest.fixture
def app(tmp_path: Path) -> NotificationsApp:
    return make_app(tmp_path)


def envelope(event: IntegrationEvent, event_id: str = "evt-1", sequence: int = 1) -> Envelope:
    return Envelope(
        id=event_id,
        source="/maag/x",
        type=event.TYPE,
        time=NOW,
        subject=event.subject,
        correlation_id="c",
        causation_id=None,
        actor=ACTOR,
        sequence=sequence,
    )


def delivered(
    app: NotificationsApp, policy: Policy, event: IntegrationEvent, event_id: str = "evt-1"
) -> Work[NotificationsApp]:
    """The unit of work `policy` left for `event` (not committed)."""
    work = Work(app)
    policy(Delivery(event, envelope(event, event_id), "maag.panel.events", 0, 0), work)
    return work


@pytest.fixture
def ask(app: NotificationsApp) -> Ask:
    """Deliver an event to a policy and commit: the emails it asked for now."""

    def asked(
        policy: Policy, event: IntegrationEvent, event_id: str = "evt-1"
    ) -> list[Notification]:
        work = delivered(app, policy, event, event_id)
        work.commit()
        return [a for a in work.aggregates if isinstance(a, Notification)]

    return asked
