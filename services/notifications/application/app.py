"""The notifications service's store: one Notification aggregate per email (a Reminder for
one kept for a day to come), and what it knows of each case's scope (for who may read the
emails sent about it). It also holds what its abilities read of the world outside: the web
app's address its links point to, the contacts directory (its panels' distribution lists
among them), and how long before a review its reminder goes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from maag.runtime.commands import Command
from maag.runtime.settings import Settings
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.commands import handlers

# A contact's address, if the directory has one (a provider id, `coordinator:<panel key>`,
# `front-door:<district>`).
EmailOf = Callable[[str], str | None]
# The work addresses on a panel's distribution list (`maag:harlow`, `earp`), each once.
MembersOf = Callable[[str], tuple[str, ...]]


def nobody(_: str) -> str | None:
    """A directory with no one in it (for a store opened only to read it)."""
    return None


def no_members(_: str) -> tuple[str, ...]:
    """A directory with no distribution list in it."""
    return ()


class NotificationsApp(ServiceApplication):
    name = "notifications"

    def __init__(
        self,
        settings: Settings,
        env: dict[str, str] | None = None,
        email_of: EmailOf = nobody,
        members_of: MembersOf = no_members,
    ) -> None:
        super().__init__(settings, env)
        self.web_base_url = settings.web_base_url
        self.reminder_days = settings.review_reminder_days
        self.email_of = email_of
        self.members_of = members_of

    def handle(self, command: Command, work: Work[NotificationsApp] | None = None) -> Any:
        """Through the one pipeline (`maag.runtime.commands`): committed here, or in `work`
        (a consumer's batch, the sender's record), which its caller commits."""
        return handlers.handle(self, command, work)
