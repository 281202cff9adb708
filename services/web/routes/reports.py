"""The commissioning reports, for commissioners and auditors: spend and capacity now, savings
and the Children's Trust Boards' monitoring over a period they choose, each as a chart, a
table and a CSV download."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, TypedDict, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from contracts.reference import Role, financial_year, fy_label
from services.web import charts
from services.web.backend import Invalid, NotAllowed, NotFound, Refused
from services.web.forms import FormErrors
from services.web.pages import READERS_OF_SPEND, Web, WebApp, signed_in
from services.web.sessions import SignedIn

router = APIRouter()
Reader = Annotated[SignedIn, Depends(signed_in(*READERS_OF_SPEND))]
R = TypeVar("R")
# Each CSV download, and the service whose report it is.
DOWNLOADS = {
    "spend": "commissioning",
    "capacity": "commissioning",
    "savings": "commissioning",
    "boards": "commissioning",
    # row by row, for the county's returns: commissioners only (the service decides)
    "episodes": "referral",
}


class SpendRow(TypedDict):
    """What the spend chart reads of each row (the table shows the rest)."""

    financial_year: str  # 2026/27
    panel: str
    committed_pence: int


class CapacityRow(TypedDict):
    provider_id: str
    use_percent: float


class SavingsRow(TypedDict):
    panel: str
    district: str
    saving_pence: int


class Savings(TypedDict):
    rows: list[SavingsRow]


class Referrals(TypedDict):
    received: int


class Area(TypedDict):
    referrals: Referrals


class Boards(TypedDict):
    areas: dict[str, Area]


@router.get("/reports/spend", response_class=HTMLResponse)
async def spend(request: Request, web: WebApp, who: Reader) -> Response:
    rows: list[SpendRow] = await web.backend.call(who, "GET", "commissioning", "/reports/spend")
    by_panel: dict[str, int] = defaultdict(int)
    this_year = fy_label(financial_year(datetime.now(UTC).date()))
    for r in rows:  # every year a package runs in; the chart is this year's
        if r["financial_year"] == this_year:
            by_panel[r["panel"]] += r["committed_pence"]
    chart = charts.bar_chart(
        "Committed spend by panel this financial year", sorted(by_panel.items())
    )
    return web.page(request, "spend.html", who, rows=rows, chart=chart)


@router.get("/reports/capacity", response_class=HTMLResponse)
async def capacity(request: Request, web: WebApp, who: Reader) -> Response:
    rows: list[CapacityRow] = await web.backend.call(
        who, "GET", "commissioning", "/reports/capacity"
    )
    chart = charts.bar_chart(
        "Share of each provider's weekly capacity in use (per cent)",
        [(r["provider_id"], r["use_percent"]) for r in rows],
        unit="%",
    )
    return web.page(request, "capacity.html", who, rows=rows, chart=chart)


@router.get("/reports/savings", response_class=HTMLResponse)
async def savings(request: Request, web: WebApp, who: Reader) -> Response:
    return await _period_report(web, request, who, "savings", ("from", "to"), _savings_chart)


@router.get("/reports/boards", response_class=HTMLResponse)
async def boards(request: Request, web: WebApp, who: Reader) -> Response:
    # the equality figures are the referral service's (it holds the child's record): the
    # same period, or none shown when it refuses it (the boards' own refusal is shown)
    period = {k: v for k in ("from", "to") if (v := request.query_params.get(k, "").strip())}
    equality, unread = None, None
    try:
        equality = await web.backend.call(
            who, "GET", "referral", "/reports/equality", params=period
        )
    except (Invalid, NotFound, NotAllowed, Refused) as e:
        unread = str(e)
    return await _period_report(
        web,
        request,
        who,
        "boards",
        ("from", "to", "by"),
        _boards_areas,
        equality=equality,
        equality_unread=unread,
        may_extract=who.has(Role.COMMISSIONER.value),
    )


@router.get("/reports/{name}.csv")
async def report_csv(request: Request, web: WebApp, who: Reader, name: str) -> Response:
    if name not in DOWNLOADS:
        raise NotFound(name)
    params = {k: v for k in ("from", "to", "by") if (v := request.query_params.get(k, ""))}
    text: str = await web.backend.call(
        who, "GET", DOWNLOADS[name], f"/reports/{name}.csv", params=params, text=True
    )
    return PlainTextResponse(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="maag-{name}.csv"'},
    )


async def _period_report(
    web: Web,
    request: Request,
    who: SignedIn,
    name: str,
    parameters: tuple[str, ...],
    shown: Callable[[R], Mapping[str, object]],
    **more: object,
) -> Response:
    """A commissioning report over a period the person chooses: the page with `shown`'s
    values (its chart among them), or the page with the service's refusal (400)."""
    period = {k: v for k in parameters if (v := request.query_params.get(k, "").strip())}
    try:
        report: R = await web.backend.call(
            who, "GET", "commissioning", f"/reports/{name}", params=period
        )
    except Invalid as e:
        problems = FormErrors(other=[x.get("reason", "") for x in e.errors] or [str(e)])
        return web.page(
            request,
            f"{name}.html",
            who,
            400,
            report=None,
            period=period,
            errors=problems,
            chart="",
            **more,
        )
    return web.page(
        request, f"{name}.html", who, report=report, period=period, **shown(report), **more
    )


def _savings_chart(report: Savings) -> dict[str, object]:
    return {
        "chart": charts.bar_chart(
            "Saving by panel and district over the period",
            [(f"{r['panel']} {r['district']}", max(0, r["saving_pence"])) for r in report["rows"]],
        )
    }


def _boards_areas(report: Boards) -> dict[str, object]:
    """The board areas (the county apart, as the table's last row) and their chart."""
    areas = {k: v for k, v in report["areas"].items() if k != "county"}
    chart = charts.bar_chart(
        "Referrals received in the period, by area",
        [(name, a["referrals"]["received"]) for name, a in areas.items()],
        unit="",
    )
    return {"areas": areas, "county": report["areas"].get("county"), "chart": chart}
