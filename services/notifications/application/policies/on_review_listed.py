"""A package's review listed: the lead professional is reminded a set number of days before
the meeting that will review it (not when it is listed, which may be months before). Each
listing of the package's review replaces the one before, and its reminder with it
(`application/commands/remind_of_review.py`)."""

from __future__ import annotations

from contracts.events.panel import ReviewListed
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.commands import SERVICE
from services.notifications.application.commands.remind_of_review import RemindOfReview
from services.notifications.application.policies import source_of
from services.notifications.domain.reminder import review_reminder_day
from services.notifications.domain.values import Recipient, panel_label


def on_review_listed(d: Delivery[ReviewListed], work: Work[NotificationsApp]) -> None:
    e = d.message
    source = source_of(d)
    context = {
        "review_on": e.review_on.isoformat(),
        "panel": panel_label(e.panel),
        "meeting_date": e.meeting_starts_at.date().isoformat(),
    }
    work.app.handle(
        RemindOfReview(
            caller=SERVICE,
            correlation_id=source.correlation_id,
            source=source,
            case_id=e.case_id,
            package_id=e.package_id,
            listed_at=e.occurred_at,
            # No lead to remind: the listing still supersedes the last one's reminder,
            # which names a meeting the review has left.
            recipient=Recipient(str(e.lead_professional_email))
            if e.lead_professional_email
            else None,
            context=context,
            on=review_reminder_day(e.review_on, e.meeting_starts_at, work.app.reminder_days),
        ),
        work,
    )
