"""A package's review listed (again): its lead professional is reminded once, of the meeting
that will review it. The listing supersedes the reminder the package's previous listing asked
for (a tier change, a review brought forward, a meeting that left it undecided), so one
reminder per review is live; a listing seen already, or older than the latest, changes
nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.commands import handlers
from services.notifications.application.commands.request_email import RequestEmail, request_email
from services.notifications.domain.package_reminders import (
    PackageReminders,
    package_reminders_id,
)
from services.notifications.domain.reminder import Reminder, reminder_id
from services.notifications.domain.values import Context, Recipient, Source, Template

if TYPE_CHECKING:
    from services.notifications.application.app import NotificationsApp


@dataclass(frozen=True, kw_only=True)
class RemindOfReview(Command):
    source: Source
    case_id: UUID
    package_id: UUID
    listed_at: datetime  # when the panel listed it (the listing's `occurred_at`)
    recipient: Recipient | None  # the lead professional; None: nobody to remind
    context: Context
    on: date  # the day the reminder goes


@handlers(RemindOfReview)
def remind_of_review(
    app: NotificationsApp, command: RemindOfReview, work: Work[NotificationsApp]
) -> PackageReminders | None:
    """The package's listings as now noted, or None for a listing that changes nothing."""
    found = work.find(package_reminders_id(command.case_id, command.package_id))
    package = (
        found
        if isinstance(found, PackageReminders)
        else PackageReminders(case_id=command.case_id, package_id=command.package_id)
    )
    event_id = command.source.event_id
    if not package.is_newer(event_id, command.listed_at):
        return None  # this listing again, or one older than the latest: that one stands
    previous, live = package.reminder_id, None
    if command.recipient is not None:
        live = reminder_id(event_id, Template.REVIEW_DUE, command.recipient.address)
        asked = RequestEmail(
            caller=command.caller,
            correlation_id=command.correlation_id,
            source=command.source,
            case_id=command.case_id,
            template=Template.REVIEW_DUE,
            recipient=command.recipient,
            context=command.context,
            on=command.on,
        )
        request_email(app, asked, work)  # in this unit of work; kept if asked already
    if previous is not None and previous != live:
        old = work.find(previous)
        if isinstance(old, Reminder):
            old.supersede(by_event_id=event_id)
            work.add(old)
    package.note_listing(event_id, command.listed_at, live)
    work.add(package)
    return package
