"""Commissioning's abilities, one file each, in one registry (`handlers`).

Commissioners register providers, change their capacity and set budgets (HTTP). Packages
change only as the panels decide: a package requested is commissioned, a review carried
out, a case's packages decommissioned when it closes or consent goes (each from an
inbound event, `application/policies/`), the service acting on the panel's word
(`SERVICE`). Decommissioning and recommissioning one package are steps of those."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.reference import Role
from maag.runtime.commands import Handlers
from maag.runtime.web.auth import Caller

if TYPE_CHECKING:  # the application imports its commands
    from services.commissioning.application.app import CommissioningApp

# What the service does on another service's word: no command of it names an access action.
SERVICE = Caller.of("commissioning-service", Role.SYSTEM, "maag")

handlers: Handlers[CommissioningApp] = Handlers(
    "a provider, budget or package changed while this was handled; retry"
)

# Each ability registers its handler on import.
from services.commissioning.application.commands import (  # noqa: E402
    commission_package,
    decommission_case,
    note_lead,
    register_provider,
    resume_case,
    review_package,
    set_budget,
    set_capacity,
)

__all__ = [
    "SERVICE",
    "commission_package",
    "decommission_case",
    "handlers",
    "note_lead",
    "register_provider",
    "resume_case",
    "review_package",
    "set_budget",
    "set_capacity",
]
