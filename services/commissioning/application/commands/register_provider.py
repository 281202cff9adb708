"""A commissioner adds a provider to the directory (the seeded directory is added the same
way, once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from contracts.reference import Role
from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.commissioning.application.commands import handlers
from services.commissioning.domain.aggregates import Provider, ProviderIndex, provider_uuid
from services.commissioning.domain.rules import CommissioningRefused
from services.commissioning.domain.values import ProviderDetails, RefusalReason

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp


@dataclass(frozen=True, kw_only=True)
class RegisterProvider(Command):
    spec: ProviderDetails  # named `spec` as before: part of an Idempotency-Key's request


@handlers(RegisterProvider)
def register_provider(
    app: CommissioningApp, command: RegisterProvider, work: Work[CommissioningApp]
) -> Provider:
    command.caller.require(Role.COMMISSIONER, to="register providers")
    return register(work, command.spec)


def register(work: Work, details: ProviderDetails) -> Provider:
    """A provider in the directory (and the index of providers), once."""
    if isinstance(work.find(provider_uuid(details.provider_id)), Provider):
        raise CommissioningRefused(
            RefusalReason.EXISTS, f"provider {details.provider_id} is already registered"
        )
    provider = Provider.register(details)
    index = work.find(ProviderIndex.ID)
    if not isinstance(index, ProviderIndex):
        index = ProviderIndex()
    index.add(provider.provider_id)
    work.add(provider, index)
    return provider
