"""The cases the caller leads, as lead professional, open ones first (a read of each is
recorded)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.reference import Role
from maag.runtime.evidence.reads import record_reads
from maag.runtime.web.auth import Caller
from services.panel.application.ports import LedCase, ReadModel

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


def my_cases(app: PanelApp, read_model: ReadModel, caller: Caller) -> list[LedCase]:
    caller.require(Role.LEAD_PROFESSIONAL, to="list the cases they lead")
    rows = read_model.led_by(caller.user_id)
    record_reads(app, [r.case_id for r in rows], caller)
    return rows
