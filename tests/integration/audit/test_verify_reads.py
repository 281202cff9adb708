"""`verify` reads the stored events' text (ids, versions, topics) as the bytes the chain
hashed, UTF-8, whatever the connection's encoding: on the real PostgreSQL, an event whose
topic is not ASCII checks the same read through a UTF-8 connection (text as sent) and a
LATIN1 one (converted to UTF-8 by the server), and a changed letter of it is caught by both."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from tests.support.database import as_owner
from tests.support.keys import CHAIN_KEY
from tests.support.pipeline import Ledger, LedgerApp

KEYS = ChainKeys.derive(CHAIN_KEY, "ledger")
TOPIC = "tests.support.pipeline:Ledger.Noté"


def _latin1(engine: Engine, schema: str) -> Engine:
    return create_engine(
        engine.url, connect_args={"options": f"-csearch_path={schema} -cclient_encoding=LATIN1"}
    )


@pytest.fixture
def store(postgres_url: str, pg_schema: str) -> tuple[LedgerApp, Settings, int]:
    settings = Settings(postgres_url=postgres_url, postgres_schema=pg_schema, chain_key=CHAIN_KEY)
    ledger = LedgerApp(settings)
    entries = []
    for _ in range(3):
        entry = Ledger(case_id=uuid.uuid4())
        entry.note("seen")
        ledger.save(entry)
        entries.append(entry)
    # an event stored with a topic that is not ASCII (unsealed: the service did not write it)
    ((nid,),) = as_owner(
        settings,
        "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
        "VALUES (%s, 3, %s, '{}'::bytea) RETURNING notification_id",
        entries[1].id,
        TOPIC,
    )
    return ledger, settings, nid


def test_a_topic_that_is_not_ascii_checks_the_same_through_either_encoding(
    store: tuple[LedgerApp, Settings, int], pg_schema: str
) -> None:
    ledger, settings, nid = store
    engine = read_model_engine(settings, "ledger")
    EventChain(ledger, engine, KEYS).extend()  # chained as stored
    for through in (engine, _latin1(engine, pg_schema)):
        chain = EventChain(ledger, through, KEYS)
        for workers in (1, 2):
            verdict = chain.verify(workers=workers)
            assert [(b.notification_id, b.kind) for b in verdict.breaks] == [(nid, "unsealed")]
            assert verdict.chained == 7

    as_owner(
        settings,
        "UPDATE ledger_events SET topic = %s WHERE notification_id = %s",
        TOPIC[:-1] + "e",
        nid,
    )
    for through in (engine, _latin1(engine, pg_schema)):
        verdict = EventChain(ledger, through, KEYS).verify(workers=1)
        assert [(b.notification_id, b.kind) for b in verdict.breaks] == [
            (nid, "altered"),
            (nid, "unsealed"),
        ]
