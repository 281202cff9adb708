"""Read models (SQLAlchemy) kept up to date from a service's own notification log.

Each catch-up reads the log after the projection's recorded position, applies the events
to the read model and records the new position in the same read-model transaction, so a
crash never applies an event twice or skips one. Read models lag the store by moments.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, select
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import UpdateBase

from contracts.classification import DATA_CLASS_KEY, DataClass
from maag.runtime.follow.follower import Follower, Wakeup, in_thread
from maag.runtime.logging import get_logger
from maag.runtime.settings import Settings, postgres_env
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.liveness import check_engine_cheaply

log = get_logger(__name__)

Project = Callable[[Any, Session], None]


def read_model_engine(settings: Settings, service: str) -> Engine:
    """The service's read-model database: its own schema in PostgreSQL, or a SQLite file."""
    if settings.postgres_url:
        pg = postgres_env(settings.postgres_url, settings.postgres_password)
        schema = settings.postgres_schema or service
        # built from its parts, not pasted into a string: a password may hold @ : / or %
        url = URL.create(
            "postgresql+psycopg",
            username=pg["POSTGRES_USER"],
            password=pg["POSTGRES_PASSWORD"],
            host=pg["POSTGRES_HOST"],
            port=int(pg["POSTGRES_PORT"]),
            database=pg["POSTGRES_DBNAME"],
        )
        engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        check_engine_cheaply(engine)  # a restarted database costs no failed call
        return engine
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return create_engine(f"sqlite:///{settings.data_dir / f'{service}-read.sqlite'}")


def forgotten(table: Table) -> dict[str, None]:
    """The values that erase a row's copy of personal data: every identifying or
    special-category column (as its `info` declares, `contracts.classification`) emptied.
    What the row says was decided stays."""
    return {
        c.name: None
        for c in table.columns
        if c.info.get(DATA_CLASS_KEY) is not None and DataClass(c.info[DATA_CLASS_KEY]).withheld
    }


def positions_table(metadata: MetaData) -> Table:
    return Table(
        "projection_positions",
        metadata,
        Column("name", String(200), primary_key=True),
        Column("position", Integer, nullable=False),
    )


def create_tables(metadata: MetaData, engine: Engine, attempts: int = 5) -> None:
    """CREATE TABLE IF NOT EXISTS, tolerating replicas that start together: PostgreSQL can
    refuse the second of two concurrent creations of the same table (a pg_type conflict)."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except (IntegrityError, ProgrammingError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


class Runs(Session):
    """The session a catch-up gives its projectors: a run of executions of one INSERT, UPDATE
    or DELETE (a statement built once, its values bound per event, e.g. a row per email
    asked for) goes to the database as one executemany when the run ends, where each was a
    round of SQLAlchemy's execution machinery of its own. A run ends at any other statement
    (a read sees every write before it) and at the commit. Such an execution
    returns None: no projector reads what a write returns. (A Session, subclassed as
    SQLAlchemy allows, so that a projector's `info`, events and connection are the same.)"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._run: Executable | None = None
        self._rows: list[dict[str, Any]] = []

    def execute(self, statement: Executable, params: Any = None, **kwargs: Any) -> Any:
        if not kwargs and isinstance(statement, UpdateBase) and isinstance(params, dict) and params:
            if statement is not self._run or params.keys() != self._rows[0].keys():
                self.send_run()
                self._run = statement
            self._rows.append(params)
            return None
        self.send_run()
        return super().execute(statement, params, **kwargs)

    def send_run(self) -> None:
        if self._run is not None:
            statement, rows = self._run, self._rows
            self._run, self._rows = None, []
            # one row as one execution: psycopg's executemany sets up a pipeline first
            super().execute(statement, rows if len(rows) > 1 else rows[0])


# At the class, once: a listener on each instance costs SQLAlchemy a dispatcher of its own.
event.listen(Runs, "before_commit", Runs.send_run)


class Projector:
    def __init__(
        self,
        app: ServiceApplication,
        engine: Engine,
        metadata: MetaData,
        project: Project,
        name: str,
        batch_size: int = 500,
        wakeup: Wakeup | None = None,
    ) -> None:
        self.app = app
        self.wakeup = wakeup or Wakeup(None, None)
        self.engine = engine
        self.project = project
        self.name = name
        self.batch_size = batch_size
        existing = metadata.tables.get("projection_positions")
        self.positions = existing if existing is not None else positions_table(metadata)
        create_tables(metadata, engine)
        # Built once: a busy service catches up a few events at a time, each time reading
        # and moving its position.
        c = self.positions.c
        self._locked = select(c.position).where(c.name == name).with_for_update()
        self._moved = self.positions.update().where(c.name == name)

    def position(self) -> int:
        with Session(self.engine) as session:
            found = session.execute(
                select(self.positions.c.position).where(self.positions.c.name == self.name)
            ).scalar()
            return int(found or 0)

    def catch_up_once(self) -> int:
        with Runs(self.engine) as session, session.begin():
            row = session.execute(self._locked).scalar()
            after = int(row or 0)
            notifications = self.app.notifications(after, self.batch_size)
            for n in notifications:
                self.project(self.app.mapper.to_domain_event(n), session)
            if not notifications:
                return 0
            last = notifications[-1].id
            if row is None:
                session.execute(self.positions.insert().values(name=self.name, position=last))
            else:
                session.execute(self._moved, {"position": last})
            return len(notifications)

    def catch_up(self) -> None:
        while self.catch_up_once():
            pass

    async def run(self, stop: asyncio.Event) -> None:
        step = in_thread(self.catch_up_once)
        follower = Follower(
            "projection",
            step,
            self.wakeup,
            gather=0.05,
            batch=self.batch_size,
            projection=self.name,
        )
        await follower.run(stop)
