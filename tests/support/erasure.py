"""The erasure scan: every byte the running system holds (every row of every service's
schema, every stored event opened with the store's own cipher key as a database
administrator could, every record of every topic, every email and every log), and which of
some values are found in any of it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from psycopg import sql

from contracts.topics import REFERRAL_SUBMISSIONS
from maag.ops.audit.stores import store_of
from maag.runtime.settings import Settings
from maag.runtime.store.sealed import BODY, MAGIC, SealingCipher, where
from maag.services import SPECS
from tests.support.keys import CHAIN_KEY
from tests.support.system import System

Places = list[tuple[str, bytes]]


@dataclass
class Held:
    stores: Places
    events: Places
    topics: Places
    emails: Places
    logs: Places

    @property
    def all(self) -> Places:
        return [*self.stores, *self.events, *self.topics, *self.emails, *self.logs]


def everything_held(system: System) -> Held:
    return Held(
        stores=list(_store_rows(system)),
        events=list(_decrypted_events(system)),
        topics=asyncio.run(
            _topic_records(system.env["KAFKA_BOOTSTRAP_SERVERS"], system.env["MAAG_TOPIC_PREFIX"])
        ),
        emails=[(f"mail {p.name}", p.read_bytes()) for p in system.mail.rglob("*") if p.is_file()],
        logs=[("logs", system.logs().encode())],
    )


def _store_rows(system: System) -> Iterator[tuple[str, bytes]]:
    """Every row of every table of every service's schema, as PostgreSQL holds it."""
    with psycopg.connect(system.postgres_url) as conn:
        for name in SPECS:
            schema = system.schema_of(name)
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            ).fetchall()
            for (table,) in tables:
                rows = conn.execute(
                    sql.SQL("SELECT t::text FROM {}.{} t").format(
                        sql.Identifier(schema), sql.Identifier(table)
                    )
                )
                for (text,) in rows:
                    yield f"{name}.{table}", text.encode()


def _decrypted_events(system: System) -> Iterator[tuple[str, bytes]]:
    """Every stored event's state opened with the store's cipher key (not the case keys)."""
    for name in SPECS:
        settings = Settings(
            postgres_url=system.postgres_url,
            postgres_schema=system.schema_of(name),
            chain_key=CHAIN_KEY,
            cipher_key=system.env["MAAG_CIPHER_KEY"],
        )
        with store_of(settings, name, verifying=False) as (store, _):
            cipher = store.mapper.cipher
            assert isinstance(cipher, SealingCipher) and cipher.aes is not None
            compressor = store.mapper.compressor
            for _, originator, version, topic, state in store.stored_rows(
                store.recorder.max_notification_id() or 0
            ):
                assert state.startswith(MAGIC)
                body = state[BODY:]
                plain = cipher.aes.decrypt(body[:12], body[12:], where(originator, version, topic))
                if compressor is not None:
                    plain = compressor.decompress(plain)
                yield f"{name} events", plain


async def _topic_records(bootstrap: str, prefix: str) -> list[tuple[str, bytes]]:
    """Every record (value and headers) of every topic of the system, from the beginning;
    the submissions topic apart (an agency's message as sent, kept only for its documented
    retention)."""
    skipped = REFERRAL_SUBMISSIONS.named(prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        named = [t for t in await admin.list_topics() if t.startswith(prefix) and t != skipped]
        described = await admin.describe_topics(named)
    finally:
        await admin.close()
    parts = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    assert parts
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        found: list[tuple[str, bytes]] = []

        async def behind() -> bool:
            return any([await consumer.position(p) < ends[p] for p in parts])

        while await behind():
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                for r in records:
                    headers = b"".join(k.encode() + (v or b"") for k, v in r.headers)
                    found.append((tp.topic, (r.value or b"") + headers))
        return found
    finally:
        await consumer.stop()


def found(values: dict[str, str], places: list[tuple[str, bytes]]) -> list[str]:
    return sorted(
        {
            f"{what} in {where_}"
            for where_, raw in places
            for what, value in values.items()
            if value.encode() in raw or value.encode().hex().encode() in raw
        }
    )
