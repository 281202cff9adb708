"""The read models' tables: the projections write them (`adapters/read_model.py` from the
service's own events, `adapters/boards.py` from the three event topics) and the queries
(`queries/`) read them. Rebuildable: nothing here is the record."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
)

from contracts.classification import DataClass, column_class
from contracts.limits import TEXT_CHARS

# --- the reports (spend, capacity, savings), from commissioning's own events ---

REPORTS = MetaData()

packages = Table(
    "comm_packages",
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
    "comm_lines",
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
    "comm_avoided",
    REPORTS,
    Column("package_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("outcome", String(40), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
)
providers = Table(
    "comm_providers",
    REPORTS,
    Column("provider_id", String(100), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("name", String(200), nullable=False, info=column_class(DataClass.OPERATIONAL)),
    Column("weekly_capacity", Float, nullable=False, info=column_class(DataClass.OPERATIONAL)),
)
reservations = Table(
    "comm_reservations",
    REPORTS,
    Column("provider_id", String(100), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("package_id", String(36), primary_key=True, info=column_class(DataClass.OPERATIONAL)),
    Column("units", Float, nullable=False, info=column_class(DataClass.OPERATIONAL)),
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
