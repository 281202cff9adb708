"""The read models' tables: the projections write them (`adapters/read_model.py` and
`adapters/failures.py` from the service's own events, `adapters/boards.py` from the three
event topics) and the queries (`queries/`) read them. Rebuildable: nothing here is the
record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from contracts.classification import DataClass, column_class
from contracts.limits import LABEL_CHARS, TEXT_CHARS
from maag.runtime.follow.portable_sql import bytewise_string

# --- the reports (spend, capacity, savings), from commissioning's own events ---

REPORTS = MetaData()
# The reports' projection (`adapters/read_model.py`) and its tables' names. v2: the savings
# report's own rows (`savings_periods`, `savings_covers`). A new version is a new position
# and new tables, so a deployment rebuilds them all from the store's first event rather
# than add to (and collide with) the rows an earlier version wrote.
REPORTS_VERSION = 2
REPORTS_PROJECTION = f"commissioning_reports_v{REPORTS_VERSION}"


def _versioned(name: str) -> str:
    return f"{name}_v{REPORTS_VERSION}"


def _operational(name: str, kind: Any, **more: Any) -> Column[Any]:
    return Column(name, kind, info=column_class(DataClass.OPERATIONAL), **more)


packages = Table(
    _versioned("comm_packages"),
    REPORTS,
    # One row per period of a package with the same lines: a recommission starts a new one.
    Column("period_id", String(60), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column(
        "package_id",
        String(36),
        nullable=False,
        index=True,
        info=column_class(DataClass.OPERATIONAL),
    ),
    Column(
        "case_id", String(36), nullable=False, index=True, info=column_class(DataClass.OPERATIONAL)
    ),
    Column("panel", String(10), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("panel_key", String(60), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("district", String(50), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("fy", Integer, nullable=False, index=True, info=column_class(DataClass.OPERATIONAL)),
    Column("weekly_cost_pence", Integer, nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("starts_on", Date, nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("ended_on", Date, info=column_class(DataClass.OPERATIONAL)),
    Column("status", String(20), nullable=False, info=column_class(DataClass.OPERATIONAL)),
)
lines = Table(
    _versioned("comm_lines"),
    REPORTS,
    Column("period_id", String(60), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("line", Integer, primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column(
        "provider_id",
        String(100),
        nullable=False,
        index=True,
        info=column_class(DataClass.OPERATIONAL),
    ),
    Column("service", String(200), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("units", Float, nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("weekly_cost_pence", Integer, nullable=False, info=column_class(DataClass.OPERATIONAL)),
)
# What each package is an alternative to (EARP and JAP packages name at least one).
avoided = Table(
    _versioned("comm_avoided"),
    REPORTS,
    Column("package_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("outcome", String(40), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
)
providers = Table(
    _versioned("comm_providers"),
    REPORTS,
    Column("provider_id", String(100), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("name", String(200), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("weekly_capacity", Float, nullable=False, info=column_class(DataClass.OPERATIONAL)),
)
reservations = Table(
    _versioned("comm_reservations"),
    REPORTS,
    Column("provider_id", String(100), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("package_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("units", Float, nullable=False, info=column_class(DataClass.OPERATIONAL)),
)

# The savings report's rows, derived from the packages', lines' and outcomes' rows above in
# the same transaction (`adapters/read_model.derive_savings`), so that the report reads
# neither the lines nor a package's periods again.
#
# One row per period the report counts (one with lines, of an EARP or JAP package or of a
# MAAG package that names an outcome). Its cost over any d days is exact without its lines:
# `week_pence * (d // 7) + the remainder column of d % 7` (`part_1` .. `part_6`: the sum of
# its lines' `rules.cost_between` over 1..6 days, each rounded as that rounds it).
savings_periods = Table(
    _versioned("savings_periods"),
    REPORTS,
    _operational("period_id", String(60), primary_key=True),
    _operational("package_id", String(36), nullable=False, index=True),
    _operational("panel", String(10), nullable=False),
    _operational("district", String(50), nullable=False),
    _operational("start_day", Integer, nullable=False),  # `portable_sql.day_number`s
    _operational("end_day", Integer),  # None: open
    # the package has no other period: counted active without count(DISTINCT)
    _operational("single", Boolean, nullable=False),
    _operational("week_pence", BigInteger, nullable=False),
    *(_operational(f"part_{n}", BigInteger, nullable=False) for n in range(1, 7)),
)
# One row per outcome a counted package names: the package's span over its counted periods
# (from its first day to its last; open when any is), in the order the report's window reads
# the covers of a case's outcome (the index's: no sort). Ids and outcomes compare bytewise
# (Python's order), as the report's rules do.
savings_covers = Table(
    _versioned("savings_covers"),
    REPORTS,
    _operational("package_id", bytewise_string(36), primary_key=True),
    _operational("outcome", bytewise_string(40), primary_key=True),
    _operational("case_id", bytewise_string(36), nullable=False),
    _operational("prevention", Boolean, nullable=False),  # a MAAG package's
    _operational("panel", String(10), nullable=False),
    _operational("district", String(50), nullable=False),
    _operational("start_day", Integer, nullable=False),
    _operational("end_day", Integer),  # None: open
)
Index(
    f"{savings_covers.name}_in_order",
    savings_covers.c.case_id,
    savings_covers.c.outcome,
    savings_covers.c.prevention,
    savings_covers.c.start_day,
    savings_covers.c.package_id,
    postgresql_include=["end_day", "panel", "district"],  # read from the index alone
)

# --- packages that could not be commissioned, from commissioning's own events ---

# Its own projection (`adapters/failures.py`, position `FAILURES_PROJECTION`), rebuilt from
# the store's beginning where it is new: the refusals kept before it existed are in it too.
FAILURES = MetaData()
FAILURES_PROJECTION = "commissioning_failures"


failures = Table(
    "comm_failures",
    FAILURES,
    _operational("failure_id", String(36), primary_key=True),  # the refusal's id
    _operational("package_id", String(36), nullable=False, index=True),
    _operational("case_id", String(36), nullable=False, index=True),
    # the case's packages' aggregate id: what a case's closing or withdrawn consent names
    _operational("case_key", String(36), nullable=False, index=True),
    _operational("panel", String(10), nullable=False),
    _operational("district", String(50)),  # None: refused before the district was kept
    # the meeting whose decision was refused (the one that agreed the package, or reviewed
    # it); None: not known
    _operational("meeting_id", String(36)),
    _operational("review", Boolean, nullable=False),  # a review's change, not the package
    _operational("reason", String(LABEL_CHARS), nullable=False),
    _operational("detail", String(TEXT_CHARS), nullable=False),
    _operational("failed_at", DateTime(timezone=True), nullable=False),
    # how it was dealt with (`adapters/failures.py`); None: not yet
    _operational("dealt_with", String(40), index=True),
    _operational("dealt_with_at", DateTime(timezone=True)),
)

# --- the boards' figures, from the referral, panel and commissioning topics ---

BOARDS = MetaData()

cases = Table(
    "board_cases",
    BOARDS,
    Column("case_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("district", String(50), info=column_class(DataClass.OPERATIONAL)),
    Column("received", DateTime(timezone=True), info=column_class(DataClass.OPERATIONAL)),
    Column("outcome", String(40), info=column_class(DataClass.OPERATIONAL)),
    Column("outcome_at", DateTime(timezone=True), info=column_class(DataClass.OPERATIONAL)),
    Column("reason", String(TEXT_CHARS), info=column_class(DataClass.OPERATIONAL)),
    Column("level", Integer, info=column_class(DataClass.OPERATIONAL)),
    Column(
        "level_change", JSON, nullable=False, default=dict, info=column_class(DataClass.OPERATIONAL)
    ),  # review id -> change
    Column("panel", String(10), info=column_class(DataClass.OPERATIONAL)),
    Column("panel_at", DateTime(timezone=True), info=column_class(DataClass.OPERATIONAL)),
    Column("listed", DateTime(timezone=True), info=column_class(DataClass.OPERATIONAL)),
    Column("lead", DateTime(timezone=True), info=column_class(DataClass.OPERATIONAL)),
    Column("package", DateTime(timezone=True), info=column_class(DataClass.OPERATIONAL)),
    Column("closed", DateTime(timezone=True), info=column_class(DataClass.OPERATIONAL)),
    Column(
        "joined", Boolean, nullable=False, default=False, info=column_class(DataClass.OPERATIONAL)
    ),
)
facts = Table(
    "board_facts",
    BOARDS,
    Column("event_id", String(200), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("kind", String(20), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column(
        "case_id", String(36), nullable=False, index=True, info=column_class(DataClass.OPERATIONAL)
    ),
    Column("at", DateTime(timezone=True), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("detail", JSON, nullable=False, info=column_class(DataClass.OPERATIONAL)),
)
# How far the feed has read each partition (in the same transaction as the facts).
positions = Table(
    "board_positions",
    BOARDS,
    Column("topic", String(255), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("partition", Integer, primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("next_offset", Integer, nullable=False, info=column_class(DataClass.OPERATIONAL)),
)
# Records that are not valid MAAG events, with the reason (the feed goes on past them).
skipped = Table(
    "board_skipped",
    BOARDS,
    Column("topic", String(255), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("partition", Integer, primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("offset", Integer, primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("reason", String(TEXT_CHARS), nullable=False, info=column_class(DataClass.OPERATIONAL)),
)
BOARD_TABLES = (cases, facts, positions, skipped)
