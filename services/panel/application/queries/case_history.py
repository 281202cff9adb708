"""Every panel event of a case, for those who may read it (the read recorded)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from maag.runtime.web.auth import Caller
from services.panel.application.queries.read_case import read_case

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


def case_history(app: PanelApp, case_id: UUID, caller: Caller) -> list[Aggregate.Event]:
    read_case(app, case_id, caller)
    return [e for e in app.events.get(case_id) if isinstance(e, Aggregate.Event)]
