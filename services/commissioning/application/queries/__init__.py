"""What commissioning answers, one read each: a case's packages and one package (each
asked of the one access policy and recorded as a read of the case), the providers, a
budget, and the commissioners' reports (spend, capacity, savings, the boards' figures)."""

from __future__ import annotations

from maag.runtime.policy import Report, require_report
from maag.runtime.web.auth import Caller


def require_report_reader(caller: Caller) -> None:
    """The reports are commissioners' (and auditors'): figures, no case's details."""
    require_report(caller, Report.FIGURES)
