"""One case's history read from the real PostgreSQL store through the case index: only
that case's events, events stored since the index last caught up included, and the index
kept in step with the chain."""

from __future__ import annotations

import uuid

import psycopg
from psycopg import sql

from maag.runtime.evidence.case_history import CaseHistory
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.spec import AuditSpec
from tests.support.keys import CHAIN_KEY
from tests.support.pipeline import Ledger, LedgerApp


def _ledgers(app: LedgerApp, cases: list[uuid.UUID], notes: int) -> None:
    for case_id in cases:
        ledger = Ledger(case_id=case_id)
        for i in range(notes):
            ledger.note(f"n{i}")
        app.save(ledger)


def test_a_case_is_read_through_the_index_and_the_unindexed_tail(
    postgres_url: str, pg_schema: str
) -> None:
    settings = Settings(postgres_url=postgres_url, postgres_schema=pg_schema, chain_key=CHAIN_KEY)
    app = LedgerApp(settings)
    chain = EventChain(
        app, read_model_engine(settings, "ledger"), ChainKeys.derive(CHAIN_KEY, "ledger")
    )
    cases = [uuid.uuid4() for _ in range(20)]
    _ledgers(app, cases, notes=3)
    chain.extend()
    late = uuid.uuid4()
    _ledgers(app, [late], notes=2)  # stored after the chain (and index) caught up

    history = CaseHistory("ledger", app, chain, AuditSpec())
    entries = history.entries(cases[7])
    assert [e.event for e in entries] == ["Ledger.Opened"] + ["Ledger.Noted"] * 3
    assert {e.case_id for e in entries} == {str(cases[7])}
    assert [e.version for e in entries] == [1, 2, 3, 4]
    assert len(history.entries(late)) == 3  # found in the tail
    assert history.entries(uuid.uuid4()) == []

    # The index holds exactly one row per case's aggregate, in step with the chain.
    chain.extend()
    with psycopg.connect(postgres_url) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(pg_schema)))
        (rows,) = conn.execute("SELECT count(*) FROM ledger_case_index").fetchone() or (0,)
        (chained,) = conn.execute(
            "SELECT count(*) FROM ledger_chain WHERE notification_id > 0"
        ).fetchone() or (0,)
    assert (rows, chained) == (21, 20 * 4 + 3)
    assert chain.verify().clean
