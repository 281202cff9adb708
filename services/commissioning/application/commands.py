"""Commissioners' commands: one type and one handler per use case, in a registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contracts.reference import Role
from maag.runtime.commands import Command, Handlers
from maag.runtime.store.unit_of_work import Work
from services.commissioning.domain.aggregates import (
    Budget,
    Provider,
    ProviderIndex,
    budget_uuid,
    provider_uuid,
)
from services.commissioning.domain.rules import CommissioningRefused

if TYPE_CHECKING:  # the application imports its commands
    from services.commissioning.application.app import CommissioningApp

handlers: Handlers[CommissioningApp] = Handlers(
    "a provider, budget or package changed while this was handled; retry"
)


@dataclass(frozen=True, kw_only=True)
class RegisterProvider(Command):
    spec: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class SetCapacity(Command):
    provider_id: str
    weekly_capacity: float


@dataclass(frozen=True, kw_only=True)
class SetBudget(Command):
    key: str
    fy: int
    amount_pence: int


def register(work: Work, spec: dict[str, Any]) -> Provider:
    """A provider in the directory (and the index of providers), once."""
    if isinstance(work.find(provider_uuid(spec["provider_id"])), Provider):
        raise CommissioningRefused(
            "exists", f"provider {spec['provider_id']} is already registered"
        )
    provider = Provider(**spec)
    index = work.find(ProviderIndex.ID)
    if not isinstance(index, ProviderIndex):
        index = ProviderIndex()
    index.add(provider.provider_id)
    work.add(provider, index)
    return provider


@handlers(RegisterProvider)
def register_provider(app: CommissioningApp, c: RegisterProvider, work: Work) -> Provider:
    c.caller.require(Role.COMMISSIONER, to="register providers")
    return register(work, c.spec)


@handlers(SetCapacity)
def set_capacity(app: CommissioningApp, c: SetCapacity, work: Work) -> Provider:
    c.caller.require(Role.COMMISSIONER, to="change capacity")
    provider = work.get_as(provider_uuid(c.provider_id), Provider, "provider")
    provider.change_capacity(c.weekly_capacity)
    return provider


@handlers(SetBudget)
def set_budget(app: CommissioningApp, c: SetBudget, work: Work) -> Budget:
    c.caller.require(Role.COMMISSIONER, to="set budgets")
    budget = work.find(budget_uuid(c.key, c.fy))
    if isinstance(budget, Budget):
        budget.amend(c.amount_pence)
    else:
        budget = Budget(panel_key=c.key, fy=c.fy, amount_pence=c.amount_pence)
        work.add(budget)
    return budget
