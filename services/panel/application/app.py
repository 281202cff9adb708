"""The panel service's application: its store, and the one registry its commands are
dispatched through (`application/commands/`, a file per use case)."""

from __future__ import annotations

from typing import Any

from maag.runtime.commands import Command
from maag.runtime.settings import Settings
from maag.runtime.store.application import ServiceApplication
from services.panel.application.commands import handlers


class PanelApp(ServiceApplication):
    name = "panel"

    def __init__(
        self, settings: Settings, quorum_other_agencies: int = 3, env: dict[str, str] | None = None
    ) -> None:
        super().__init__(settings, env)
        # How many member agencies besides the required ones make a MAAG quorate (a setting).
        self.quorum_other_agencies = quorum_other_agencies

    def handle(self, command: Command) -> Any:
        return handlers.handle(self, command)
