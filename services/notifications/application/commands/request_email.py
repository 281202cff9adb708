"""Ask for an email: now (a Notification, which the sender delivers) or, given a day, on
that day (a Reminder keeps it till then). Once: the same event asking again finds it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.commands import handlers
from services.notifications.domain.notification import Notification, notification_id
from services.notifications.domain.reminder import Reminder, reminder_id
from services.notifications.domain.templates import case_reference
from services.notifications.domain.values import Asked, Context, Page, Recipient, Source, Template

if TYPE_CHECKING:
    from services.notifications.application.app import NotificationsApp


@dataclass(frozen=True, kw_only=True)
class RequestEmail(Command):
    source: Source
    case_id: UUID  # the case it is about; for an email about a meeting, the meeting's id
    template: Template
    recipient: Recipient
    context: Context
    page: Page | None = None  # where the email links to; the case's own page by default
    on: date | None = None  # the day it goes; None: now


@handlers(RequestEmail)
def request_email(
    app: NotificationsApp, command: RequestEmail, work: Work
) -> Notification | Reminder | None:
    page = command.page or Page.case(command.case_id)
    asked = Asked(
        source=command.source,
        case_id=command.case_id,
        template=command.template,
        recipient=command.recipient,
        context={
            **command.context,
            # an email about a meeting names no case
            **(
                {}
                if command.template.about_meeting
                else {"case_ref": case_reference(str(command.case_id))}
            ),
            "link": page.url(app.web_base_url),
        },
    )
    ids = (asked.source.event_id, asked.template, asked.recipient.address)
    if work.find(reminder_id(*ids) if command.on else notification_id(*ids)) is not None:
        return None  # the same event again: already asked
    made: Notification | Reminder = (
        Reminder.schedule(asked, command.on) if command.on else Notification.ask(asked)
    )
    work.add(made)
    return made
