"""The panel service's application: its store, and the one registry its commands are
dispatched through (`application/commands/`, a file per use case)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from maag.runtime.commands import Command
from maag.runtime.settings import Settings
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.kept import KeptHistories
from services.panel.application.commands import handlers
from services.panel.domain.meeting import Meeting


class PanelApp(ServiceApplication):
    name = "panel"

    def __init__(
        self, settings: Settings, quorum_other_agencies: int = 3, env: dict[str, str] | None = None
    ) -> None:
        super().__init__(settings, env)
        # How many member agencies besides the required ones make a MAAG quorate (a setting).
        self.quorum_other_agencies = quorum_other_agencies
        # How long after its start a meeting sits: attendance and decisions are recorded only
        # then, and what it leaves undecided is carried on (a setting).
        self.meeting_window = timedelta(hours=settings.meeting_window_hours)
        self.now: Callable[[], datetime] = _utc_now  # the clock tests set
        # A meeting's history grows with every case listed and decided on it, and each
        # listing and decision loads it: kept decoded, a load reads only what is new.
        self.kept = KeptHistories(self.events, (Meeting,))

    def handle(self, command: Command) -> Any:
        return handlers.handle(self, command)


def _utc_now() -> datetime:
    return datetime.now(UTC)
