"""The commissioning service's HTTP API for commissioners (OpenAPI at /docs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import FastAPI, Path, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from contracts.limits import ID_CHARS, LABEL_CHARS, PROVIDER_SERVICES
from contracts.reference import District, Role
from maag.runtime.evidence.reads import record_read
from maag.runtime.follow.projection import create_tables
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Conflict, NotFound
from maag.runtime.web import http
from maag.runtime.web.auth import TokenVerifier
from services.commissioning.adapters import boards
from services.commissioning.adapters import read_model as reports
from services.commissioning.application.app import CommissioningApp
from services.commissioning.application.commands import (
    RegisterProvider,
    SetBudget,
    SetCapacity,
)
from services.commissioning.domain.aggregates import Package, Provider
from services.commissioning.domain.boards import Grouping
from services.commissioning.domain.boards import report as board_report
from services.commissioning.domain.boards import rows as board_rows
from services.commissioning.domain.rules import CommissioningRefused, financial_year, fy_bounds

# A financial year by the calendar year it starts in (2026 is April 2026 to March 2027).
FinancialYear = Annotated[int, Path(ge=2000, le=2100, description="e.g. 2026 for 2026-27")]
FinancialYearQuery = Annotated[
    int | None, Query(ge=2000, le=2100, description="e.g. 2026 for 2026-27; default: this year")
]
PanelKey = Annotated[
    str, Path(max_length=LABEL_CHARS, description="maag:<district>, earp or jap:<funder>")
]
PeriodStart = Annotated[
    date | None, Query(alias="from", description="First day; default: this financial year's")
]
PeriodEnd = Annotated[
    date | None, Query(alias="to", description="Last day; default: this financial year's")
]
# A report covers at most this many days (ten years and leap days): bounded work per request.
LONGEST_PERIOD_DAYS = 3653


def report_period(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """The days a report covers: this financial year unless given; refused (422, naming the
    parameter) when `to` is before `from` or the span is longer than ten years."""
    start, end = fy_bounds(financial_year(today))
    first, last = first or start, last or end
    if last < first:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "to"),
                    "msg": f"to ({last}) is before from ({first})",
                    "type": "value_error",
                }
            ]
        )
    if (last - first).days >= LONGEST_PERIOD_DAYS:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "to"),
                    "msg": "a report covers at most ten years",
                    "type": "value_error",
                }
            ]
        )
    return first, last


ProviderId = Annotated[str, Path(max_length=ID_CHARS)]


class ProviderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,60}$", max_length=61)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["in-house", "health", "pvi"]
    services: list[Annotated[str, Field(min_length=1, max_length=LABEL_CHARS)]] = Field(
        min_length=1, max_length=PROVIDER_SERVICES
    )
    districts: list[District] = Field(
        default_factory=list, max_length=len(District), description="Empty: county-wide."
    )
    weekly_capacity: float = Field(
        ge=0, le=1_000_000, description="Places, hours or sessions a week."
    )
    unit_cost_pence: int = Field(ge=0, le=100_000_000)


class CapacityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekly_capacity: float = Field(ge=0, le=1_000_000)


class BudgetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_pence: int = Field(ge=0, le=1_000_000_000_000)


def _provider(p: Provider) -> dict[str, Any]:
    return {
        "provider_id": p.provider_id,
        "name": p.name,
        "kind": p.kind,
        "services": p.services,
        "districts": p.districts,
        "weekly_capacity": p.weekly_capacity,
        "used": p.used,
        "free": p.free,
        "unit_cost_pence": p.unit_cost_pence,
    }


def _package(p: Package) -> dict[str, Any]:
    return {
        "package_id": p.id,
        "case_id": p.case_id,
        "panel": p.panel,
        "district": p.district,
        "status": p.status,
        "lines": p.lines,
        "weekly_cost_pence": p.weekly_cost_pence,
        "starts_on": p.starts_on,
        "review_on": p.review_on,
        "ended_on": p.ended_on,
        "funding_split": [{"agency": a, "percent": n} for a, n in p.funding_split],
        "alternative_to": p.alternative_to,
        "budgets": [{"budget": key, "percent": n} for key, n in p.charges],
    }


def create_api(
    app: CommissioningApp,
    verifier: TokenVerifier,
    engine: Engine,
    settings: Settings,
    ready: Callable[[], dict[str, bool]],
) -> FastAPI:
    api = FastAPI(
        title="MAAG commissioning service",
        version="1.0.0",
        description="Commissioners manage providers, capacity and budgets and read spend, "
        "capacity and savings reports. Packages are commissioned, recommissioned and "
        "decommissioned as the panels decide (the panel service's decisions).",
    )
    http.install(api, verifier, {NotFound: 404, Conflict: 409, CommissioningRefused: 409})
    create_tables(boards.metadata, engine)
    http.health(api, ready)

    def reader(caller: Any) -> None:
        caller.require(Role.COMMISSIONER, Role.AUDITOR, to="read commissioning reports")

    @api.get("/providers", tags=["providers"])
    def list_providers(caller: http.CallerDep) -> list[dict[str, Any]]:
        return [_provider(p) for p in app.providers(caller)]

    @api.post("/providers", status_code=201, tags=["providers"])
    def register(
        body: ProviderRequest,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> dict[str, Any]:
        spec = body.model_dump(mode="json")
        return _provider(
            app.handle(
                RegisterProvider(
                    spec=spec,
                    caller=caller,
                    correlation_id=correlation_id,
                    idempotency_key=idempotency_key,
                )
            )
        )

    @api.put("/providers/{provider_id}/capacity", tags=["providers"])
    def capacity(
        provider_id: ProviderId,
        body: CapacityRequest,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> dict[str, Any]:
        command = SetCapacity(
            provider_id=provider_id,
            weekly_capacity=body.weekly_capacity,
            caller=caller,
            correlation_id=correlation_id,
            idempotency_key=idempotency_key,
        )
        return _provider(app.handle(command))

    @api.get(
        "/budgets/{panel_key}/{fy}",
        tags=["budgets"],
        summary="panel_key: maag:<district>, earp or jap",
    )
    def get_budget(
        panel_key: PanelKey, fy: FinancialYear, caller: http.CallerDep
    ) -> dict[str, Any]:
        b = app.budget(panel_key, fy, caller)
        return {
            "panel": b.panel_key,
            "financial_year": fy,
            "amount_pence": b.amount_pence,
            "committed_pence": b.committed,
            "left_pence": b.left,
        }

    @api.put("/budgets/{panel_key}/{fy}", tags=["budgets"])
    def set_budget(
        panel_key: PanelKey,
        fy: FinancialYear,
        body: BudgetRequest,
        caller: http.CallerDep,
        correlation_id: http.CorrelationId,
        idempotency_key: http.IdempotencyKey = None,
    ) -> dict[str, Any]:
        b = app.handle(
            SetBudget(
                key=panel_key,
                fy=fy,
                amount_pence=body.amount_pence,
                caller=caller,
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        )
        return {
            "panel": b.panel_key,
            "financial_year": fy,
            "amount_pence": b.amount_pence,
            "committed_pence": b.committed,
            "left_pence": b.left,
        }

    @api.get("/cases/{case_id}/packages", tags=["packages"])
    def of_case(case_id: UUID, caller: http.CallerDep) -> list[dict[str, Any]]:
        packages = [_package(p) for p in app.packages_of(case_id, caller)]
        record_read(app, case_id, caller)
        return packages

    @api.get(
        "/packages/{package_id}", tags=["packages"], summary="One package (the providers' link)"
    )
    def one_package(package_id: UUID, caller: http.CallerDep) -> dict[str, Any]:
        found = app.package(package_id, caller)
        record_read(app, found.case_id, caller)
        return _package(found)

    @api.get("/reports/spend", tags=["reports"])
    def spend(caller: http.CallerDep, fy: FinancialYearQuery = None) -> list[dict[str, Any]]:
        reader(caller)
        return reports.spend(engine, datetime.now(UTC).date(), fy)

    @api.get("/reports/spend.csv", tags=["reports"], response_class=PlainTextResponse)
    def spend_csv(caller: http.CallerDep, fy: FinancialYearQuery = None) -> str:
        reader(caller)
        return reports.to_csv(reports.spend(engine, datetime.now(UTC).date(), fy))

    @api.get("/reports/capacity", tags=["reports"])
    def capacity_report(caller: http.CallerDep) -> list[dict[str, Any]]:
        reader(caller)
        return reports.capacity(engine)

    @api.get("/reports/capacity.csv", tags=["reports"], response_class=PlainTextResponse)
    def capacity_csv(caller: http.CallerDep) -> str:
        reader(caller)
        return reports.to_csv(reports.capacity(engine))

    def savings_between(first: date | None, last: date | None) -> dict[str, Any]:
        first, last = report_period(first, last, datetime.now(UTC).date())
        return reports.savings(engine, app.avoided_costs, first, last)

    @api.get("/reports/savings", tags=["reports"])
    def savings(
        caller: http.CallerDep, first: PeriodStart = None, last: PeriodEnd = None
    ) -> dict[str, Any]:
        reader(caller)
        return savings_between(first, last)

    def boards_between(first: date | None, last: date | None, by: Grouping) -> dict[str, Any]:
        first, last = report_period(first, last, datetime.now(UTC).date())
        found, known = boards.load(engine)
        return board_report(found, known, first, last, by)

    @api.get(
        "/reports/boards",
        tags=["reports"],
        summary="For the local Children's Trust Boards: each area's referrals, timeliness, "
        "outcomes, step-ups and downs, reviews, packages and placements avoided",
        description="Referral figures are of the referrals received in the period; moves, "
        "reviews and packages those that happened in it; open cases as they stand now. Fed "
        "by the event topics (`maag boards rebuild` rebuilds it from their beginning).",
    )
    def board_figures(
        caller: http.CallerDep,
        first: PeriodStart = None,
        last: PeriodEnd = None,
        by: Grouping = Grouping.BOARD_AREA,
    ) -> dict[str, Any]:
        reader(caller)
        return boards_between(first, last, by)

    @api.get(
        "/reports/boards/reconciliation",
        tags=["reports"],
        summary="The boards' figures held against commissioning's own record of packages",
    )
    def board_reconciliation(caller: http.CallerDep) -> dict[str, Any]:
        reader(caller)
        return boards.reconcile(engine)

    @api.get("/reports/boards.csv", tags=["reports"], response_class=PlainTextResponse)
    def board_figures_csv(
        caller: http.CallerDep,
        first: PeriodStart = None,
        last: PeriodEnd = None,
        by: Grouping = Grouping.BOARD_AREA,
    ) -> str:
        reader(caller)
        return reports.to_csv(board_rows(boards_between(first, last, by)))

    @api.get("/reports/savings.csv", tags=["reports"], response_class=PlainTextResponse)
    def savings_csv(
        caller: http.CallerDep, first: PeriodStart = None, last: PeriodEnd = None
    ) -> str:
        reader(caller)
        return reports.to_csv(savings_between(first, last)["rows"])

    return api
