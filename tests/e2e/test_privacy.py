"""Issue 19 end to end, every service a process on the real broker and database: a case's
personal details erased by destroying its key, gone from every read path while the replay
still shows every decision and every store verifies against its anchors; then the
key-encryption key rotated, the stores verified again, and the referral service restarted
with only the new key still reading the cases that were not erased."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import psycopg
from psycopg import sql

from maag.ops.audit.stores import store_of
from maag.ops.demo.client import referrer, wait_for
from maag.ops.identity.realm import LOCAL_PASSWORD
from maag.runtime.evidence import anchors
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.case_keys import SqlKeyring
from maag.runtime.store.migrations import writer_env
from maag.services import SPECS
from services.referral.adapters.keyring import KEYS
from tests.support.keys import CHAIN_KEY, WRITER_PASSWORD
from tests.support.referral import CHILD_NAME, KEKS, details
from tests.support.system import System

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs", "youth-service"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form",
}
DPO = "privacy-officer-1"


def _store(system: System, name: str, **more: Any) -> Settings:
    return Settings(
        **{
            "kafka_bootstrap": system.env["KAFKA_BOOTSTRAP_SERVERS"],
            "topic_prefix": system.env["MAAG_TOPIC_PREFIX"],
            "postgres_url": system.postgres_url,
            "postgres_schema": system.schema_of(name),
            "chain_key": CHAIN_KEY,
            **more,
        }
    )


def _verify_all(system: System) -> dict[str, tuple[int, int, list[str]]]:
    """Each service's store held to its anchors (what `maag audit verify` does)."""
    records = asyncio.run(anchors.read_anchors(_store(system, "referral")))
    found = {}
    for name in SPECS:
        with store_of(_store(system, name), name) as (_, chain):
            verdict = anchors.verify(chain, records)
        found[name] = (verdict.chained, verdict.anchors, [str(b) for b in verdict.breaks])
    return found


def test_a_case_is_erased_everywhere_and_the_record_still_verifies(system: System) -> None:
    client = system.client()
    client.ready()
    kept = client.refer(details(consent=CONSENT, caf_reference="CAF-2026-0007777"))["case_id"]
    case_id = client.refer(details(consent=CONSENT))["case_id"]
    meeting = client.convene(case_id)
    client.make_quorate(meeting)
    client.decide(
        meeting,
        {
            "kind": "assign-lead-professional",
            "case_id": case_id,
            "professional_id": "lead-education",
            "name": "Lee Lead",
            "agency": "education",
            "work_email": "lee.lead@school.example",
        },
    )
    wait_for(
        "the lead professional's email",
        lambda: [n for n in client.notifications(case_id) if n["status"] == "sent"] or None,
    )
    lead_sees = client.call("GET", "referral", f"/referrals/{case_id}", user="lead-education")
    assert lead_sees["child"]["given_name"] == CHILD_NAME.split()[0]
    before = [e.event for e in client.replay(case_id).entries if e.event != "CaseRead.Recorded"]

    # An erasure without a reason is refused, and erases nothing.
    path = f"/privacy/cases/{case_id}/erasure"
    client.call("POST", "referral", path, user=DPO, expect=422, json={})
    erased = client.call(
        "POST",
        "referral",
        path,
        user=DPO,
        json={"reason": "the young person asked for erasure (UK GDPR Article 17)"},
        headers={"Idempotency-Key": f"erase-{uuid.uuid4()}"},
    )
    assert erased["personal_data_erased"]["erased_on"]

    # Gone from every read path: the referrer's, the lead professional's, subject access.
    for user in (referrer("education"), "lead-education"):
        seen = client.call("GET", "referral", f"/referrals/{case_id}", user=user)
        assert seen["child"] is None and seen["personal_data_erased"] is True
        assert seen["status"] == "accepted"
    export = client.call("GET", "referral", f"/privacy/cases/{case_id}/export", user=DPO)
    assert export["child"] is None and export["personal_data_erased"]["reason"]
    assert {e["service"] for e in export["timeline"]} == set(SPECS)
    assert "lee.lead@school.example" not in str(export) and "Lee Lead" not in str(export)
    # The data key exists nowhere: its row is gone.
    with psycopg.connect(system.postgres_url) as conn:
        conn.execute(
            sql.SQL("SET search_path TO {}").format(sql.Identifier(system.schema_of("referral")))
        )
        rows = conn.execute(
            "SELECT count(*) FROM referral_data_keys WHERE case_id = %s", (uuid.UUID(case_id),)
        ).fetchone()
    assert rows == (0,)

    # The replay still shows every decision, and the erasure with who and why.
    replay = client.replay(case_id)
    after = [e.event for e in replay.entries if e.event != "CaseRead.Recorded"]
    assert [e for e in after if e in before] == before
    (erasure,) = [e for e in replay.entries if e.event == "Referral.PersonalDataErased"]
    assert erasure.actor is not None and erasure.actor["role"] == "privacy-officer"
    assert erasure.basis and "Article 17" in erasure.basis
    assert replay.state.personal_data == "erased" and replay.state.lead_professional

    # Every store verifies against the anchors each service signed as it stopped.
    for name in SPECS:
        system.stop_service(name)
    verdicts = _verify_all(system)
    for name, (chained, anchored, breaks) in verdicts.items():
        assert chained > 0 and anchored >= 1 and breaks == [], (name, verdicts[name])

    # The key-encryption key rotated: data keys re-wrapped, no event touched.
    new = ("e2e-2", os.urandom(32))
    # as `maag privacy rotate-keys` runs: in the referral service's place, as its role
    as_service = writer_env(_store(system, "referral"), "maag_test_referral", WRITER_PASSWORD)
    engine = read_model_engine(
        _store(
            system,
            "referral",
            postgres_url=as_service["MAAG_POSTGRES_URL"],
            postgres_password=WRITER_PASSWORD,
        ),
        "referral",
    )
    try:
        assert SqlKeyring(engine, (new, *KEKS), KEYS).rotate() >= 1
    finally:
        engine.dispose()
    assert _verify_all(system) == verdicts
    system.env["MAAG_KEY_ENCRYPTION_KEYS"] = f"{new[0]}={base64.b64encode(new[1]).decode()}"
    system.start_service("referral")
    ready = f"{system.url('referral')}/readyz"
    wait_for("the referral service", lambda: httpx.get(ready).status_code == 200 or None)
    still = client.call("GET", "referral", f"/referrals/{kept}", user=referrer("education"))
    assert still["child"]["family_name"] == CHILD_NAME.split()[1]
    gone = client.call("GET", "referral", f"/referrals/{case_id}", user=referrer("education"))
    assert gone["child"] is None


def _maag(system: System, *args: str) -> subprocess.CompletedProcess[str]:
    """The data protection officer at the command line, signed in as themselves."""
    return subprocess.run(
        [sys.executable, "-m", "maag.ops.cli", "privacy", *args, "--user", DPO],
        env={**system.env, "MAAG_PASSWORD": LOCAL_PASSWORD},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_retention_schedule_is_run_dry_then_applied_leaving_what_is_held(
    system: System,
) -> None:
    # The county's schedule: declined referrals' details go once the child is born (so a
    # 2014 date of birth is long due); a case under a legal hold is left.
    system.stop_service("referral")
    system.env["MAAG_RETENTION"] = "declined=dob+0"
    system.start_service("referral")
    client = system.client()
    client.ready()
    due = client.refer(details(agencies_requested=["camhs"]))["case_id"]
    held = client.refer(details(agencies_requested=["youth-service"]))["case_id"]
    kept = client.refer(details(consent=CONSENT))["case_id"]  # accepted: open
    hold = _maag(system, "hold", held, "--reason", "a claim is expected", "--until", "2040-01-01")
    assert hold.returncode == 0, hold.stderr

    unknown = _maag(system, "retention", "finished")
    assert unknown.returncode == 2 and "unknown outcome 'finished'" in unknown.stderr
    assert "nothing erased" in unknown.stderr
    dry = _maag(system, "retention", "declined")
    assert dry.returncode == 0, dry.stderr
    assert f"{due}  declined=dob+0" in dry.stdout and f"{held}  declined=dob+0" in dry.stdout
    assert "1 would be erased (dry run" in dry.stdout and "1 under a legal hold" in dry.stdout
    seen = client.call("GET", "referral", f"/referrals/{due}", user=referrer("education"))
    assert seen["child"] is not None  # a dry run erases nothing

    applied = _maag(system, "retention", "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "1 erased; 1 under a legal hold" in applied.stdout
    for case_id, erased in ((due, True), (held, False), (kept, False)):
        seen = client.call("GET", "referral", f"/referrals/{case_id}", user=referrer("education"))
        assert seen["personal_data_erased"] is erased and (seen["child"] is None) is erased
    (entry,) = [e for e in client.replay(due).entries if e.event == "Referral.PersonalDataErased"]
    assert entry.basis == "retention schedule: declined=dob+0 (due 2014-03-09)"
    assert entry.actor is not None and entry.actor["user_id"] == DPO
    assert (
        _maag(system, "retention", "--apply")
        .stdout.strip()
        .endswith("0 erased; 1 under a legal hold")
    )
