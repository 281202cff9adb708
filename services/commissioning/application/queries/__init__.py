"""What commissioning answers, one read each: a case's packages and one package (each
asked of the one access policy and recorded as a read of the case), the providers, a
budget, and the commissioners' reports (spend, capacity, savings, the boards' figures)."""

from __future__ import annotations

from contracts.reference import Role
from maag.runtime.web.auth import Caller


def require_report_reader(caller: Caller) -> None:
    """The reports are commissioners' (and auditors'): figures, no case's details."""
    caller.require(Role.COMMISSIONER, Role.AUDITOR, to="read commissioning reports")
