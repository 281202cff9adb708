"""Where a case stands with the panels, for those the policy lets read it (the read
recorded)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime import queries
from maag.runtime.policy import Action
from maag.runtime.web.auth import Caller
from services.panel.application.access import load, scope_of
from services.panel.domain.case import PanelCase

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


def read_case(
    app: PanelApp, case_id: UUID, caller: Caller, action: Action = Action.READ_CASE
) -> PanelCase:
    """The case, for those the policy lets take `action` on it; the read recorded."""
    return queries.read_case(app, caller, action, case_id, load, scope_of)
