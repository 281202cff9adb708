"""What the local Children's Trust Boards see, for a period and a grouping of districts:
the figures `domain/boards.py` makes of the facts the boards' projection keeps."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from maag.runtime.web.auth import Caller
from services.commissioning.application.queries import require_report_reader
from services.commissioning.application.tables import cases, facts
from services.commissioning.domain.boards import BoardReport, Case, Fact, Grouping, report


def board_report(
    caller: Caller, engine: Engine, first: date, last: date, grouping: Grouping
) -> BoardReport:
    require_report_reader(caller)
    found, known = load(engine)
    return report(found, known, first, last, grouping)


def load(engine: Engine) -> tuple[list[Case], list[Fact]]:
    """Every case the referral topic has told of, and every fact."""
    with Session(engine) as session:
        found = [
            Case(
                case_id=r["case_id"],
                district=r["district"],
                received=r["received"],
                outcome=r["outcome"],
                reason=r["reason"],
                level=(
                    min(4, max(1, r["level"] + sum(r["level_change"].values())))
                    if r["level"] is not None
                    else None
                ),
                panel=r["panel"],
                listed=r["listed"],
                lead=r["lead"],
                package=r["package"],
                closed=r["closed"],
                joined=bool(r["joined"]),
            )
            for r in session.execute(select(cases).where(cases.c.received.is_not(None))).mappings()
        ]
        known = [
            Fact(r["kind"], r["case_id"], r["at"], r["detail"])
            for r in session.execute(select(facts)).mappings()
        ]
    return found, known
