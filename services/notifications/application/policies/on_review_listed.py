"""A package's review listed: the lead professional is reminded a set number of days before
the review (not when it is listed, which may be months before)."""

from __future__ import annotations

from datetime import timedelta

from contracts.events.panel import ReviewListed
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.policies import ask
from services.notifications.domain.values import Recipient, Template, panel_label


def on_review_listed(d: Delivery[ReviewListed], work: Work[NotificationsApp]) -> None:
    e = d.message
    if not e.lead_professional_email:
        return
    context = {
        "review_on": e.review_on.isoformat(),
        "panel": panel_label(e.panel),
        "meeting_date": e.meeting_starts_at.date().isoformat(),
    }
    on = e.review_on - timedelta(days=work.app.reminder_days)
    ask(d, work, Template.REVIEW_DUE, Recipient(str(e.lead_professional_email)), context, on=on)
