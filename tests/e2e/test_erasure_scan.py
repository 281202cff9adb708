"""Issue 29 end to end: a case erased leaves nothing behind. Every service a process on the
real broker and database; the case carries a child, a CAF reference, needs, consent wording,
a case note and its correction, and a plan with needs, a goal and a meeting summary. After
the data protection officer erases it, the raw bytes of every table of every service (the
event stores decrypted with the store's own cipher key, as a database administrator holding
MAAG_CIPHER_KEY but not the key-encryption keys would read them), every topic, every email
and every log are searched for each of those values: none is found, while what was decided
is still there."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from psycopg import sql

from contracts.topics import REFERRAL_SUBMISSIONS
from maag.ops.audit.stores import store_of
from maag.ops.demo.client import lead_decision, referrer, wait_for
from maag.runtime.settings import Settings
from maag.runtime.store.sealed import BODY, MAGIC, SealingCipher, where
from maag.services import SPECS
from tests.support.keys import CHAIN_KEY
from tests.support.referral import details
from tests.support.system import System

DPO = "privacy-officer-1"
LEAD = "lead-education"


def _values() -> dict[str, str]:
    """What identifies this child or is about their life, each value found nowhere else."""
    tag = secrets.token_hex(4)
    return {
        "given name": f"Quillon{tag}",
        "family name": f"Zebedee{tag}",
        "address": f"7 Quixote Row {tag}, Harlow",
        "caf reference": f"CAF-2026-{secrets.randbelow(10**8):08d}",
        "need": f"speech and language {tag}",
        "consent wording": f"verbally from grandmother Ottoline {tag}",
        "case note": f"Ottoline {tag} disclosed rent arrears",
        "correction reason": f"misheard the amount {tag}",
        "plan need": f"settled sleep {tag}",
        "plan goal": f"sleeps through five nights {tag}",
        "meeting summary": f"first TAC with Ottoline {tag}",
    }


def _plan(system: System, case_id: str, change: dict[str, Any]) -> Any:
    return system.client().call("POST", "panel", f"/cases/{case_id}/plan", user=LEAD, json=change)


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


def _found(values: dict[str, str], places: list[tuple[str, bytes]]) -> list[str]:
    return sorted(
        {
            f"{what} in {where_}"
            for where_, raw in places
            for what, value in values.items()
            if value.encode() in raw or value.encode().hex().encode() in raw
        }
    )


def test_an_erased_case_leaves_nothing_behind_in_any_store_topic_email_or_log(
    system: System,
) -> None:
    values = _values()
    client = system.client()
    client.ready()
    consent = {
        "given_by": "parent-carer",
        "scope": ["camhs", "youth-service"],
        "given_on": "2026-11-27",
        "how_obtained": values["consent wording"],
    }
    child = {
        "given_name": values["given name"],
        "family_name": values["family name"],
        "date_of_birth": "2013-07-21",
        "address": values["address"],
    }
    case_id = client.refer(
        details(
            child=child,
            caf_reference=values["caf reference"],
            needs=[values["need"]],
            consent=consent,
        )
    )["case_id"]
    notes = f"/referrals/{case_id}/notes"
    first = client.call(
        "POST",
        "referral",
        notes,
        user=referrer("education"),
        expect=201,
        json={"text": values["case note"], "about_date": "2026-11-30"},
    )
    client.call(
        "POST",
        "referral",
        notes,
        user=referrer("education"),
        expect=201,
        json={
            "text": "rent arrears, as corrected",
            "about_date": "2026-11-30",
            "supersedes": first["note_id"],
            "reason": values["correction reason"],
        },
    )
    meeting = client.convene(case_id)
    client.make_quorate(meeting)
    client.decide(
        meeting, lead_decision(case_id, LEAD, "Lee Lead", "education", "lee.lead@school.example")
    )
    _plan(
        system,
        case_id,
        {
            "kind": "add-member",
            "member_id": LEAD,
            "name": "Lee Lead",
            "organisation": "education",
            "role": "SENCo",
        },
    )
    _plan(
        system,
        case_id,
        {
            "kind": "record-meeting",
            "held_on": "2026-11-25",
            "attended": [LEAD, "family"],
            "consent_reconfirmed": True,
            "summary": values["meeting summary"],
        },
    )
    _plan(system, case_id, {"kind": "record-need", "need_id": "n1", "text": values["plan need"]})
    _plan(
        system,
        case_id,
        {"kind": "set-goal", "goal_id": "g1", "need_id": "n1", "text": values["plan goal"]},
    )
    wait_for(
        "the lead professional's email",
        lambda: [n for n in client.notifications(case_id) if n["status"] == "sent"] or None,
    )
    seen = client.call("GET", "referral", f"/referrals/{case_id}", user=referrer("education"))
    assert seen["caf_reference"] == values["caf reference"]
    assert seen["consent"]["how_obtained"] == values["consent wording"]
    plan = client.call("GET", "panel", f"/cases/{case_id}/plan", user=LEAD)
    assert plan["needs"]["n1"] == values["plan need"]

    client.call(
        "POST",
        "referral",
        f"/privacy/cases/{case_id}/erasure",
        user=DPO,
        json={"reason": "the young person asked for erasure (UK GDPR Article 17)"},
        headers={"Idempotency-Key": f"erase-{uuid.uuid4()}"},
    )

    # Every read path: the referral's, the plan's.
    seen = client.call("GET", "referral", f"/referrals/{case_id}", user=referrer("education"))
    assert seen["child"] is None and seen["caf_reference"] is None and seen["needs"] is None
    assert seen["consent"]["how_obtained"] is None and seen["status"] == "accepted"
    erased_plan = wait_for(
        "the panel to destroy the case's key",
        lambda: (
            p
            if (p := client.call("GET", "panel", f"/cases/{case_id}/plan", user=LEAD))["needs"][
                "n1"
            ]
            is None
            else None
        ),
    )
    assert erased_plan["goals"]["g1"]["text"] is None
    assert erased_plan["meetings"][0]["summary"] is None
    assert erased_plan["team"][LEAD]["name"] == "Lee Lead"  # a professional: not the family's

    # Every byte the system holds.
    topics = asyncio.run(
        _topic_records(system.env["KAFKA_BOOTSTRAP_SERVERS"], system.env["MAAG_TOPIC_PREFIX"])
    )
    emails = [(f"mail {p.name}", p.read_bytes()) for p in system.mail.rglob("*") if p.is_file()]
    logs = [("logs", system.logs().encode())]
    stores = list(_store_rows(system))
    events = list(_decrypted_events(system))
    everything = [*stores, *events, *topics, *emails, *logs]
    # The scan reads what it claims to: the case and its decisions are in every kind of place.
    assert _found({"case": case_id}, stores) and _found({"case": case_id}, events)
    assert _found({"case": case_id}, topics)
    assert _found({"lead's email": "lee.lead@school.example"}, emails)
    assert _found({"decision": "LeadProfessionalAssigned"}, topics)
    assert _found(values, everything) == []
