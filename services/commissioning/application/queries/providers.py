"""The providers' directory, with each provider's capacity in use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.reference import Role
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.commissioning.application import holdings
from services.commissioning.domain.aggregates import Provider

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


def providers(app: CommissioningApp, caller: Caller) -> list[Provider]:
    caller.require(Role.COMMISSIONER, Role.PANEL_MEMBER, Role.AUDITOR, to="read providers")
    return holdings.providers(Work(app))
