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

from contracts.limits import TEXT_CHARS

# --- the reports (spend, capacity, savings), from commissioning's own events ---

REPORTS = MetaData()

packages = Table(
    "comm_packages",
    REPORTS,
    # One row per period of a package with the same lines: a recommission starts a new one.
    Column("period_id", String(60), primary_key=True),
    Column("package_id", String(36), nullable=False, index=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("panel", String(10), nullable=False),
    Column("panel_key", String(60), nullable=False),
    Column("district", String(50), nullable=False),
    Column("fy", Integer, nullable=False, index=True),
    Column("weekly_cost_pence", Integer, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ended_on", Date),
    Column("status", String(20), nullable=False),
)
lines = Table(
    "comm_lines",
    REPORTS,
    Column("period_id", String(60), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("provider_id", String(100), nullable=False, index=True),
    Column("service", String(200), nullable=False),
    Column("units", Float, nullable=False),
    Column("weekly_cost_pence", Integer, nullable=False),
)
# What each package is an alternative to (EARP and JAP packages name at least one).
avoided = Table(
    "comm_avoided",
    REPORTS,
    Column("package_id", String(36), primary_key=True),
    Column("outcome", String(40), primary_key=True),
)
providers = Table(
    "comm_providers",
    REPORTS,
    Column("provider_id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("weekly_capacity", Float, nullable=False),
)
reservations = Table(
    "comm_reservations",
    REPORTS,
    Column("provider_id", String(100), primary_key=True),
    Column("package_id", String(36), primary_key=True),
    Column("units", Float, nullable=False),
)

# --- the boards' figures, from the referral, panel and commissioning topics ---

BOARDS = MetaData()

cases = Table(
    "board_cases",
    BOARDS,
    Column("case_id", String(36), primary_key=True),
    Column("district", String(50)),
    Column("received", DateTime(timezone=True)),
    Column("outcome", String(40)),
    Column("outcome_at", DateTime(timezone=True)),
    Column("reason", String(TEXT_CHARS)),
    Column("level", Integer),
    Column("level_change", JSON, nullable=False, default=dict),  # review id -> change
    Column("panel", String(10)),
    Column("panel_at", DateTime(timezone=True)),
    Column("listed", DateTime(timezone=True)),
    Column("lead", DateTime(timezone=True)),
    Column("package", DateTime(timezone=True)),
    Column("closed", DateTime(timezone=True)),
    Column("joined", Boolean, nullable=False, default=False),
)
facts = Table(
    "board_facts",
    BOARDS,
    Column("event_id", String(200), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("case_id", String(36), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", JSON, nullable=False),
)
# How far the feed has read each partition (in the same transaction as the facts).
positions = Table(
    "board_positions",
    BOARDS,
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", Integer, nullable=False),
)
# Records that are not valid MAAG events, with the reason (the feed goes on past them).
skipped = Table(
    "board_skipped",
    BOARDS,
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", Integer, primary_key=True),
    Column("reason", String(TEXT_CHARS), nullable=False),
)
BOARD_TABLES = (cases, facts, positions, skipped)
