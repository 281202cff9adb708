"""Which events cause which emails: one policy per inbound event (`on_<event>.py`), routed by
`adapters/inbound.py`. A policy only decides who is told what; it asks for each email
through the `RequestEmail` command, in the consumer's unit of work (committed with the
consumer's position), and the sender (`adapters/smtp.py`) delivers it."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from contracts.events import IntegrationEvent
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.commands import SERVICE
from services.notifications.application.commands.request_email import RequestEmail
from services.notifications.domain.values import Context, Page, Recipient, Source, Template

E = TypeVar("E", bound=IntegrationEvent)


def source_of(d: Delivery[E]) -> Source:
    """The event being handled, as the emails it causes name it."""
    assert d.envelope is not None  # MAAG event topics always carry one
    return Source(d.envelope.id, d.envelope.type, d.topic, d.envelope.correlation_id)


def ask(
    d: Delivery[E],
    work: Work[NotificationsApp],
    template: Template,
    recipient: Recipient,
    context: Context,
    page: Page | None = None,
    on: date | None = None,
) -> None:
    """Ask for one email because of the event being handled (once: a redelivery finds it)."""
    source = source_of(d)
    work.app.handle(
        RequestEmail(
            caller=SERVICE,
            correlation_id=source.correlation_id,
            source=source,
            case_id=d.message.case_id,
            template=template,
            recipient=recipient,
            context=context,
            page=page,
            on=on,
        ),
        work,
    )
