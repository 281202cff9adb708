"""The panel asks commissioning for a package of interventions for the case: at the EARP
and JAP, naming what it is an alternative to; at the JAP, with the funders' split."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from contracts.events.base import FundingShare
from contracts.events.panel import RequestedIntervention
from contracts.reference import AvoidedOutcome
from maag.runtime.store.unit_of_work import Work
from services.panel.application.commands import handlers
from services.panel.application.decisions import Decision, in_session
from services.panel.domain.case import PanelCase

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp


@dataclass(frozen=True, kw_only=True)
class RequestPackage(Decision):
    interventions: tuple[RequestedIntervention, ...]
    alternative_to: tuple[AvoidedOutcome, ...] = ()
    # As proposed: the case's tier decides whether it may have one before the split's own
    # rules are asked (`domain/rules.require_package_terms` makes it a `FundingSplit`).
    funding_split: tuple[FundingShare, ...] = ()


@handlers(RequestPackage)
def request_package(app: PanelApp, c: RequestPackage, work: Work[PanelApp]) -> PanelCase:
    at = in_session(c, work)
    at.case.request_package(
        at.meeting, c.interventions, c.justification, c.alternative_to, c.funding_split
    )
    return at.case
