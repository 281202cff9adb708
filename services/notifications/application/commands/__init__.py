"""The notifications service's abilities, one file each, in one registry (`handlers`): ask
for an email (now or on its day), remind of a package's review (one live reminder per
review), note where a case is held, fire a reminder whose day has come, record an email
sent or failed. Each runs through the one pipeline of
`maag.runtime.commands`; the service acts on its own (`SERVICE`), for nobody's request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.reference import Role
from maag.runtime.commands import Handlers
from maag.runtime.web.auth import Caller
from services.notifications.application.access import case_scope

if TYPE_CHECKING:  # the application imports its commands
    from services.notifications.application.app import NotificationsApp

# What the service does on its own is its own: no command of it names an access action.
SERVICE = Caller.of("notifications-service", Role.SYSTEM, "maag")

handlers: Handlers[NotificationsApp] = Handlers(
    "the email changed while this was recorded; it is recorded once", case_scope
)

# Each ability registers its handler on import.
from services.notifications.application.commands import (  # noqa: E402
    fire_reminder,
    note_lead,
    place_case,
    record_failure,
    record_sent,
    remind_of_review,
    request_email,
)

__all__ = [
    "SERVICE",
    "fire_reminder",
    "handlers",
    "note_lead",
    "place_case",
    "record_failure",
    "record_sent",
    "remind_of_review",
    "request_email",
]
