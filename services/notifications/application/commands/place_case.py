"""Note where a case is held (its district, the tier holding it): who may read the emails
sent about it follows the case (`application/access.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from contracts.reference import District, Panel
from maag.runtime.commands import Command
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.commands import handlers
from services.notifications.domain.known_case import KnownCase, known_case_id

if TYPE_CHECKING:
    from services.notifications.application.app import NotificationsApp


@dataclass(frozen=True, kw_only=True)
class PlaceCase(Command):
    case_id: UUID
    district: District | None  # None: moved between tiers, its district unchanged
    tier: Panel


@handlers(PlaceCase)
def place_case(app: NotificationsApp, command: PlaceCase, work: Work) -> KnownCase:
    found = work.find(known_case_id(command.case_id))
    case = found if isinstance(found, KnownCase) else KnownCase(case_id=command.case_id)
    district = command.district.value if command.district else None
    case.place(district, command.tier.value)
    work.add(case)
    return case
