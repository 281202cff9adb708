"""The case's Team Around the Child and integrated plan, for its current lead professional
while the case is open, the panel that holds it, auditors (the read recorded)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.panel.application.lookup import find_plan
from services.panel.application.queries.read_case import read_case
from services.panel.domain.plan import Plan

if TYPE_CHECKING:
    from services.panel.application.app import PanelApp


def read_plan(app: PanelApp, case_id: UUID, caller: Caller) -> Plan | None:
    """The plan (None: not started yet)."""
    read_case(app, case_id, caller, Action.READ_PLAN)
    return find_plan(Work(app), case_id)
