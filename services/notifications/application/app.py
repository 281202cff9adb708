"""The notifications service's store: one Notification aggregate per email."""

from __future__ import annotations

from maag.runtime.application import ServiceApplication


class NotificationsApp(ServiceApplication):
    name = "notifications"
