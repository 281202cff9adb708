"""What the local Children's Trust Boards see, for a period and a grouping of districts:
the figures `domain/boards.py` makes of the facts the boards' projection keeps."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Text, cast, select
from sqlalchemy.engine import Engine

from maag.runtime.web.auth import Caller
from services.commissioning.application.queries import require_report_reader
from services.commissioning.application.tables import cases, facts
from services.commissioning.domain.boards import BoardReport, Case, Fact, Grouping, report

# Plain tuples of only the columns the boards count, the JSON as its text: decoded here with
# `json.loads` (as the driver would), an empty level change not at all.
_CASES = select(
    cases.c.case_id,
    cases.c.district,
    cases.c.received,
    cases.c.outcome,
    cases.c.reason,
    cases.c.level,
    cast(cases.c.level_change, Text),
    cases.c.panel,
    cases.c.listed,
    cases.c.lead,
    cases.c.package,
    cases.c.closed,
    cases.c.joined,
).where(cases.c.received.is_not(None))
_BATCH = 1000  # rows made at a time: fewer alive at once, fewer for the collector to move
_FACTS = select(facts.c.kind, facts.c.case_id, facts.c.at, cast(facts.c.detail, Text))


def board_report(
    caller: Caller, engine: Engine, first: date, last: date, grouping: Grouping
) -> BoardReport:
    require_report_reader(caller)
    found, known = load(engine)
    return report(found, known, first, last, grouping)


def load(engine: Engine) -> tuple[list[Case], list[Fact]]:
    """Every case the referral topic has told of, and every fact."""
    with engine.connect() as conn:
        found = [
            Case(
                case_id,
                district,
                received,
                outcome,
                reason,
                None if level is None else _level(level, level_change),
                panel,
                listed,
                lead,
                package,
                closed,
                bool(joined),
            )
            for rows in conn.execute(_CASES).partitions(_BATCH)
            for (
                case_id,
                district,
                received,
                outcome,
                reason,
                level,
                level_change,
                panel,
                listed,
                lead,
                package,
                closed,
                joined,
            ) in rows
        ]
        loads = json.loads
        known = [
            Fact(kind, case_id, at, loads(detail))
            for rows in conn.execute(_FACTS).partitions(_BATCH)
            for kind, case_id, at, detail in rows
        ]
    return found, known


def _level(level: int, change: str) -> int:
    """The level of need agreed, moved by its reviews' changes (review id -> change), within
    1 to 4."""
    moved = 0 if change == "{}" else sum(json.loads(change).values())
    return min(4, max(1, level + moved))
