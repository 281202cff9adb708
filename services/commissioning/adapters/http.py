"""The commissioning service's HTTP API for commissioners (OpenAPI at /docs): each route is
body -> command (or query) -> typed answer; who may, and the `Idempotency-Key`, are the
pipeline's (`maag.runtime.commands`, `application/queries/`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from contracts.limits import ID_CHARS, LABEL_CHARS, PROVIDER_ID_PATTERN, PROVIDER_SERVICES
from contracts.reference import District
from maag.runtime.follow.projection import create_tables
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Conflict, NotFound
from maag.runtime.web import http
from maag.runtime.web.auth import TokenVerifier
from maag.runtime.web.reports import CSV, ReportPeriod, to_csv, utc_today
from services.commissioning.application.app import CommissioningApp
from services.commissioning.application.commands.register_provider import RegisterProvider
from services.commissioning.application.commands.set_budget import SetBudget
from services.commissioning.application.commands.set_capacity import SetCapacity
from services.commissioning.application.queries.board_reconciliation import (
    Reconciliation,
)
from services.commissioning.application.queries.board_reconciliation import (
    board_reconciliation as reconciliation,
)
from services.commissioning.application.queries.board_report import board_report
from services.commissioning.application.queries.budget import budget, budgets_of_year
from services.commissioning.application.queries.capacity_report import CapacityRow
from services.commissioning.application.queries.capacity_report import (
    capacity_report as capacities,
)
from services.commissioning.application.queries.failures import FailureView, failures
from services.commissioning.application.queries.package import PackageRead, package
from services.commissioning.application.queries.packages_of_case import packages_of_case
from services.commissioning.application.queries.packages_of_provider import (
    packages_of_provider,
)
from services.commissioning.application.queries.providers import providers
from services.commissioning.application.queries.savings_report import (
    SavingsReport,
    savings_report,
)
from services.commissioning.application.queries.spend_report import SpendRow, spend_report
from services.commissioning.application.tables import BOARDS, FAILURES
from services.commissioning.domain.aggregates import Budget, Package, Provider
from services.commissioning.domain.boards import BoardReport, Grouping, rows
from services.commissioning.domain.rules import CommissioningRefused
from services.commissioning.domain.values import ProviderDetails, ProviderKind

# --- what routes reach: the service's application and its read models' database ---


App = Annotated[CommissioningApp, Depends(http.from_state("commissioning", CommissioningApp))]
ReadModels = Annotated[Engine, Depends(http.from_state("read_models", Engine))]

# --- parameters ---

# A financial year by the calendar year it starts in (2026 is April 2026 to March 2027).
FinancialYear = Annotated[int, Path(ge=2000, le=2100, description="e.g. 2026 for 2026-27")]
FinancialYearQuery = Annotated[
    int | None, Query(ge=2000, le=2100, description="e.g. 2026 for 2026-27; default: this year")
]
PanelKey = Annotated[
    str, Path(max_length=LABEL_CHARS, description="maag:<district>, earp or jap:<funder>")
]
ProviderId = Annotated[str, Path(max_length=ID_CHARS)]

# --- bodies and answers ---


class ProviderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider_id: str = Field(pattern=PROVIDER_ID_PATTERN, max_length=61)
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

    def details(self) -> ProviderDetails:
        return ProviderDetails(
            provider_id=self.provider_id,
            name=self.name,
            kind=ProviderKind(self.kind),
            services=tuple(self.services),
            districts=tuple(d.value for d in self.districts),
            weekly_capacity=self.weekly_capacity,
            unit_cost_pence=self.unit_cost_pence,
        )


class CapacityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekly_capacity: float = Field(ge=0, le=1_000_000)


class BudgetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_pence: int = Field(ge=0, le=1_000_000_000_000)


Units = int | float  # as registered: a whole number of places stays one


class ProviderAnswer(BaseModel):
    provider_id: str
    name: str
    kind: ProviderKind
    services: list[str]
    districts: list[str]
    weekly_capacity: Units
    used: Units
    free: Units
    unit_cost_pence: int

    @classmethod
    def of(cls, p: Provider) -> ProviderAnswer:
        return cls(
            provider_id=p.provider_id,
            name=p.name,
            kind=p.kind,
            services=p.services,
            districts=p.districts,
            weekly_capacity=p.weekly_capacity,
            used=p.used,
            free=p.free,
            unit_cost_pence=p.unit_cost_pence,
        )


class BudgetAnswer(BaseModel):
    panel: str
    financial_year: int
    amount_pence: int
    committed_pence: int
    left_pence: int

    @classmethod
    def of(cls, b: Budget) -> BudgetAnswer:
        return cls(
            panel=b.panel_key,
            financial_year=b.fy,
            amount_pence=b.amount_pence,
            committed_pence=b.committed,
            left_pence=b.left,
        )


class LineAnswer(BaseModel):
    service: str
    provider_id: str
    units: float
    weekly_cost_pence: int
    hours_per_week: float | None
    sessions_per_week: int | None


class ShareAnswer(BaseModel):
    agency: str
    percent: int


class ChargeAnswer(BaseModel):
    budget: str
    percent: int


class LeadAnswer(BaseModel):
    name: str
    work_email: str


class PackageAnswer(BaseModel):
    package_id: UUID
    case_id: UUID
    panel: str
    district: str
    status: str
    lines: list[LineAnswer]
    weekly_cost_pence: int
    starts_on: date
    review_on: date
    ended_on: date | None
    funding_split: list[ShareAnswer]
    alternative_to: list[str]
    budgets: list[ChargeAnswer]
    lead: LeadAnswer | None = Field(
        default=None,
        description="Whom the provider contacts to start the work: the case's lead "
        "professional, while the case is open (on a single package's read).",
    )

    @classmethod
    def read(cls, found: PackageRead) -> PackageAnswer:
        lead = found.lead
        return cls.of(found.package).model_copy(
            update={
                "lead": LeadAnswer(name=lead.name, work_email=lead.work_email) if lead else None
            }
        )

    @classmethod
    def of(cls, p: Package) -> PackageAnswer:
        return cls(
            package_id=p.id,
            case_id=p.case_id,
            panel=p.panel.value,
            district=p.district,
            status=p.status.value,
            lines=[LineAnswer(**vars(line)) for line in p.lines],
            weekly_cost_pence=p.weekly_cost_pence,
            starts_on=p.starts_on,
            review_on=p.review_on,
            ended_on=p.ended_on,
            funding_split=[ShareAnswer(agency=a, percent=n) for a, n in p.funding_split.pairs()],
            alternative_to=[a.value for a in p.alternative_to],
            budgets=[ChargeAnswer(budget=c.budget, percent=c.percent) for c in p.charges],
        )


# --- routes ---

providers_router = APIRouter(route_class=http.StrictRoute, tags=["providers"])


@providers_router.get("/providers")
def list_providers(app: App, caller: http.CallerDep) -> list[ProviderAnswer]:
    return [ProviderAnswer.of(p) for p in providers(app, caller)]


@providers_router.post("/providers", status_code=201)
def register(
    body: ProviderRequest,
    app: App,
    asked: http.Asked,
) -> ProviderAnswer:
    command = RegisterProvider(
        spec=body.details(),
        **asked,
    )
    return ProviderAnswer.of(app.handle(command))


@providers_router.put("/providers/{provider_id}/capacity")
def capacity(
    provider_id: ProviderId,
    body: CapacityRequest,
    app: App,
    asked: http.Asked,
) -> ProviderAnswer:
    command = SetCapacity(
        provider_id=provider_id,
        weekly_capacity=body.weekly_capacity,
        **asked,
    )
    return ProviderAnswer.of(app.handle(command))


budgets_router = APIRouter(route_class=http.StrictRoute, tags=["budgets"])


@budgets_router.get(
    "/budgets/{fy}",
    summary="Every budget set for a financial year (one not set is left out), in one answer",
)
def get_budgets(fy: FinancialYear, app: App, caller: http.CallerDep) -> list[BudgetAnswer]:
    return [BudgetAnswer.of(b) for b in budgets_of_year(app, caller, fy)]


@budgets_router.get("/budgets/{panel_key}/{fy}", summary="panel_key: maag:<district>, earp or jap")
def get_budget(
    panel_key: PanelKey, fy: FinancialYear, app: App, caller: http.CallerDep
) -> BudgetAnswer:
    return BudgetAnswer.of(budget(app, caller, panel_key, fy))


@budgets_router.put("/budgets/{panel_key}/{fy}")
def set_budget(
    panel_key: PanelKey,
    fy: FinancialYear,
    body: BudgetRequest,
    app: App,
    asked: http.Asked,
) -> BudgetAnswer:
    command = SetBudget(
        key=panel_key,
        fy=fy,
        amount_pence=body.amount_pence,
        **asked,
    )
    return BudgetAnswer.of(app.handle(command))


# Packages are read here, never changed: the panels decide, by their events.
packages_router = APIRouter(route_class=http.StrictRoute, tags=["packages"])


@packages_router.get("/cases/{case_id}/packages")
def of_case(case_id: UUID, app: App, caller: http.CallerDep) -> list[PackageAnswer]:
    return [PackageAnswer.of(p) for p in packages_of_case(app, caller, case_id)]


@packages_router.get("/packages/{package_id}", summary="One package (the providers' link)")
def one_package(package_id: UUID, app: App, caller: http.CallerDep) -> PackageAnswer:
    return PackageAnswer.read(package(app, caller, package_id))


@packages_router.get(
    "/failures",
    summary="Packages the panels agreed that could not be commissioned, not yet dealt with",
    description="Each with why, when, its panel and district, the case it is for, what would "
    "let the panel's next decision be met, and whether it is overdue (not dealt with within "
    "two working days). Dealt with: the panel's new decision carried out (a package of the "
    "case commissioned from another meeting; a refused review's package reviewed, "
    "recommissioned or decommissioned), or refused too (the newer refusal replaces it), or "
    "the case closed or its consent withdrawn. Overdue first, then the oldest.",
)
def failed(app: App, engine: ReadModels, caller: http.CallerDep) -> list[FailureView]:
    return failures(app, caller, engine)


@packages_router.get(
    "/provider/packages", summary="The running packages commissioned from the caller's provider"
)
def provider_packages(app: App, engine: ReadModels, caller: http.CallerDep) -> list[PackageAnswer]:
    return [PackageAnswer.read(p) for p in packages_of_provider(app, caller, engine)]


reports_router = APIRouter(route_class=http.StrictRoute, tags=["reports"])


@reports_router.get("/reports/spend")
def spend(
    engine: ReadModels, caller: http.CallerDep, fy: FinancialYearQuery = None
) -> list[SpendRow]:
    return spend_report(caller, engine, utc_today(), fy)


@reports_router.get("/reports/spend.csv", response_class=CSV)
def spend_csv(engine: ReadModels, caller: http.CallerDep, fy: FinancialYearQuery = None) -> str:
    return to_csv(spend_report(caller, engine, utc_today(), fy))


@reports_router.get("/reports/capacity")
def capacity_report(engine: ReadModels, caller: http.CallerDep) -> list[CapacityRow]:
    return capacities(caller, engine)


@reports_router.get("/reports/capacity.csv", response_class=CSV)
def capacity_csv(engine: ReadModels, caller: http.CallerDep) -> str:
    return to_csv(capacities(caller, engine))


@reports_router.get("/reports/savings")
def savings(
    app: App, engine: ReadModels, caller: http.CallerDep, period: ReportPeriod
) -> SavingsReport:
    return savings_report(caller, engine, app.avoided_costs, period.first, period.last)


@reports_router.get(
    "/reports/boards",
    summary="For the local Children's Trust Boards: each area's referrals, timeliness, "
    "outcomes, step-ups and downs, reviews, packages and placements avoided",
    description="Referral figures are of the referrals received in the period; moves, "
    "reviews and packages those that happened in it; open cases as they stand now. Fed "
    "by the event topics (`maag boards rebuild` rebuilds it from their beginning).",
)
def board_figures(
    engine: ReadModels,
    caller: http.CallerDep,
    period: ReportPeriod,
    by: Grouping = Grouping.BOARD_AREA,
) -> BoardReport:
    return board_report(caller, engine, period.first, period.last, by)


@reports_router.get(
    "/reports/boards/reconciliation",
    summary="The boards' figures held against commissioning's own record of packages",
)
def board_reconciliation(engine: ReadModels, caller: http.CallerDep) -> Reconciliation:
    return reconciliation(caller, engine)


@reports_router.get("/reports/boards.csv", response_class=CSV)
def board_figures_csv(
    engine: ReadModels,
    caller: http.CallerDep,
    period: ReportPeriod,
    by: Grouping = Grouping.BOARD_AREA,
) -> str:
    return to_csv(rows(board_report(caller, engine, period.first, period.last, by)))


@reports_router.get("/reports/savings.csv", response_class=CSV)
def savings_csv(app: App, engine: ReadModels, caller: http.CallerDep, period: ReportPeriod) -> str:
    found = savings_report(caller, engine, app.avoided_costs, period.first, period.last)
    return to_csv(found["rows"])


ROUTERS = (providers_router, budgets_router, packages_router, reports_router)


def create_api(
    app: CommissioningApp,
    verifier: TokenVerifier,
    engine: Engine,
    settings: Settings,
    ready: Callable[[], dict[str, bool]],
) -> FastAPI:
    """The API: the shared plumbing (`maag.runtime.web.http`), the health endpoints and the
    routers above, over `app` and the read models in `engine`."""
    api = FastAPI(
        title="MAAG commissioning service",
        version="1.0.0",
        description="Commissioners manage providers, capacity and budgets and read spend, "
        "capacity and savings reports. Packages are commissioned, recommissioned and "
        "decommissioned as the panels decide (the panel service's decisions).",
    )
    http.install(api, verifier, {NotFound: 404, Conflict: 409, CommissioningRefused: 409})
    api.state.commissioning = app
    api.state.read_models = engine
    create_tables(BOARDS, engine)
    create_tables(FAILURES, engine)  # read before its projection may have run
    http.health(api, ready)
    http.mount(api, *ROUTERS)
    return api
