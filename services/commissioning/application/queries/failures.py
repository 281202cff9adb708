"""The packages the panels agreed that could not be commissioned and are not yet dealt with
(`adapters/failures.py` says what deals with one): each with why, when, its panel and
district, and the case it is for (never anything of the child). For those the one policy
lets read each (`Action.READ_FAILURES`: commissioners and auditors every one, a panel member
those of the districts and tiers they sit on); overdue first, then the oldest. Each case
listed is recorded as read.

Overdue: not dealt with within two working days of the day it failed (the county's day).
What would let the panel's next decision be met is said with each (`Remedy`): a provider
with room, money, or the panel's own decision."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, Field
from sqlalchemy import RowMapping, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from contracts.reference import COUNTY_ZONE
from maag.runtime import policy
from maag.runtime.evidence.reads import record_reads
from maag.runtime.policy import Action, CaseScope
from maag.runtime.web.auth import Caller
from services.commissioning.application.tables import failures as table
from services.commissioning.domain.rules import deal_with_by, remedy_of
from services.commissioning.domain.values import Remedy

if TYPE_CHECKING:
    from services.commissioning.application.app import CommissioningApp

COUNTY = COUNTY_ZONE  # the county's days, whatever the server's clock


class FailureView(BaseModel):
    """A package its panel agreed (or a change its review asked for) that could not be
    commissioned, not yet dealt with."""

    failure_id: UUID = Field(description="The refusal's id.")
    case_id: UUID
    package_id: UUID
    panel: str = Field(description="maag, earp or jap: the panel that agreed it.")
    district: str | None = Field(description="None: refused before the district was kept.")
    review: bool = Field(
        description="True: a change the package's review asked for; False: the package itself."
    )
    meeting_id: UUID | None = Field(description="The meeting whose decision it was.")
    reason: str = Field(description="no-capacity, over-budget, no-budget, no-funding-split, ...")
    detail: str = Field(description="Why, in words, with the figures.")
    remedy: Remedy = Field(
        description="What would let the panel's next decision be met: capacity (a provider "
        "with room), budget (money), or panel (its own decision: a funding split, the changed "
        "interventions)."
    )
    failed_at: datetime
    failed_on: date = Field(description="The county's day it failed.")
    deal_with_by: date = Field(description="Two working days after it failed.")
    overdue: bool = Field(description="Not dealt with by `deal_with_by`.")


def failures(
    app: CommissioningApp, caller: Caller, engine: Engine, now: datetime | None = None
) -> list[FailureView]:
    policy.require_role(caller, Action.READ_FAILURES)
    today = (now or datetime.now(UTC)).astimezone(COUNTY).date()
    with Session(engine) as session:
        rows = session.execute(select(table).where(table.c.dealt_with.is_(None))).mappings().all()
    found = [
        view(r, today)
        for r in rows
        if policy.allows(
            caller,
            Action.READ_FAILURES,
            CaseScope(case_id=UUID(r["case_id"]), district=r["district"], tier=r["panel"]),
        )
    ]
    record_reads(app, [f.case_id for f in found], caller)
    return sorted(found, key=lambda f: (not f.overdue, f.failed_at, str(f.failure_id)))


def view(r: RowMapping, today: date) -> FailureView:
    """A row as the read answers it, on `today` (the county's day)."""
    failed_at = _aware(r["failed_at"])
    failed_on = failed_at.astimezone(COUNTY).date()
    by = deal_with_by(failed_on)
    return FailureView(
        failure_id=UUID(r["failure_id"]),
        case_id=UUID(r["case_id"]),
        package_id=UUID(r["package_id"]),
        panel=r["panel"],
        district=r["district"],
        review=bool(r["review"]),
        meeting_id=UUID(r["meeting_id"]) if r["meeting_id"] else None,
        reason=r["reason"],
        detail=r["detail"],
        remedy=remedy_of(r["reason"]),
        failed_at=failed_at,
        failed_on=failed_on,
        deal_with_by=by,
        overdue=today > by,
    )


def _aware(at: datetime) -> datetime:
    """A stored moment in UTC (SQLite gives it back without its zone)."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)
