"""A commissioner changes a provider's weekly capacity (never below what is in use)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from contracts.reference import Role
from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import handlers
from services.commissioning.domain.aggregates import Provider, provider_uuid

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


@dataclass(frozen=True, kw_only=True)
class SetCapacity(Command):
    provider_id: str
    weekly_capacity: float


@handlers(SetCapacity)
def set_capacity(
    app: CommissioningApp, command: SetCapacity, work: Work[CommissioningApp]
) -> Provider:
    command.caller.require(Role.COMMISSIONER, to="change capacity")
    provider = work.get_as(provider_uuid(command.provider_id), Provider, "provider")
    provider.change_capacity(command.weekly_capacity)
    return provider
