"""The referral service's reports: the boards' equality figures, and the county's extract
of early-help episodes (CSV)."""

from __future__ import annotations

from fastapi import APIRouter

from maag.runtime.web import http
from maag.runtime.web.reports import CSV, ReportPeriod, to_csv
from services.referral.adapters.dependencies import App
from services.referral.application.queries.equality_report import (
    EqualityReport,
    episodes,
    equality_report,
)

router = APIRouter(route_class=http.StrictRoute, tags=["reports"])


@router.get(
    "/reports/equality",
    summary="For the boards: the referrals received in the period by sex, ethnic group and "
    "age band (counts of 1 to 4 suppressed)",
)
def equality(app: App, caller: http.CallerDep, period: ReportPeriod) -> EqualityReport:
    return equality_report(app, caller, period.first, period.last)


@router.get(
    "/reports/episodes.csv",
    response_class=CSV,
    summary="For the county's returns: one row per early-help episode received in the period, "
    "its dates, outcome and the child's coded fields (no name, date of birth or number)",
)
def episodes_csv(app: App, caller: http.CallerDep, period: ReportPeriod) -> str:
    return to_csv(
        [e.model_dump(mode="json") for e in episodes(app, caller, period.first, period.last)]
    )
