"""The Early Help Assessment on the real database (and broker and identity provider): two
versions recorded, authorised by a manager, reviewed, every version read back; the panel's
summary without a word of it; someone without access refused; and after the case's erasure
what it said no longer opens, nor is it anywhere in the referral schema's rows, read raw or
with the store's own cipher key (as a database administrator holding MAAG_CIPHER_KEY but not
the key-encryption keys would read them)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresAggregateRecorder
from fastapi.testclient import TestClient
from psycopg import sql

from contracts.events.referral import ReferralDetails
from contracts.reference import Role
from maag.runtime.store.sealed import BODY, MAGIC, SealingCipher, where
from maag.runtime.web.auth import Caller
from services.referral.adapters.dependencies import today
from services.referral.application.app import ReferralApp
from services.referral.application.commands import SubmitReferral
from services.referral.service import ReferralService
from tests.support.identity import auth
from tests.support.referral import details

REFERRER = Caller.of("referrer-education", Role.REFERRER, "education")


def _written() -> dict[str, str]:
    """What the assessment says, each value found nowhere else."""
    tag = secrets.token_hex(4)
    return {
        "health needs": f"asthma inhaler forgotten {tag}",
        "housing needs": f"damp bedroom at Quillon Court {tag}",
        "child's voice": f"I miss Grandad Ottoline {tag}",
        "parents' view": f"Mum Zebedine says money is tight {tag}",
        "analysis": f"Housing first then CAMHS {tag}",
        "second analysis": f"Housing resolved by the council {tag}",
        "review note": f"Zebedine back at work {tag}",
    }


def _body(written: dict[str, str], analysis: str) -> dict[str, Any]:
    return {
        "assessed_on": "2026-11-20",
        "child_development": {"health": {"strengths": "swims", "needs": written["health needs"]}},
        "parenting_capacity": {"emotional-warmth": {"strengths": "close to mum"}},
        "family_and_environment": {"housing": {"needs": written["housing needs"]}},
        "child_voice": written["child's voice"],
        "parents_view": written["parents' view"],
        "analysis": analysis,
    }


def _case(app: ReferralApp) -> str:
    referral, _ = app.handle(
        SubmitReferral(
            details=ReferralDetails.model_validate(details()),
            caller=REFERRER,
            correlation_id="assessment-integration",
            idempotency_key=f"assessment-{uuid.uuid4().hex}",
        )
    )
    return str(referral.id)


def _rows(postgres_url: str, schema: str) -> Iterator[tuple[str, bytes]]:
    """Every row of every table of the schema, as PostgreSQL holds it."""
    with psycopg.connect(postgres_url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
        for (table,) in tables:
            rows = conn.execute(
                sql.SQL("SELECT t::text FROM {}.{} t").format(
                    sql.Identifier(schema), sql.Identifier(table)
                )
            )
            for (text,) in rows:
                yield table, text.encode()


def _events(app: ReferralApp) -> Iterator[bytes]:
    """Every stored event's state opened with the store's cipher key (not the case keys)."""
    cipher = app.mapper.cipher
    assert isinstance(cipher, SealingCipher) and cipher.aes is not None
    compressor = app.mapper.compressor
    for _, originator, version, topic, state in app.stored_rows(
        app.recorder.max_notification_id() or 0
    ):
        assert state.startswith(MAGIC)
        body = state[BODY:]
        plain = cipher.aes.decrypt(body[:12], body[12:], where(originator, version, topic))
        yield compressor.decompress(plain) if compressor is not None else plain


def test_an_assessment_is_versioned_authorised_reviewed_summarised_and_erased(
    service: ReferralService, postgres_url: str, pg_schema: str
) -> None:
    client = TestClient(service.api)
    case_id = _case(service.app)
    written = _written()
    path = f"/referrals/{case_id}/assessment"

    r = client.post(path, json=_body(written, written["analysis"]), headers=auth())
    assert r.status_code == 201, r.text
    r = client.post(path, json=_body(written, written["second analysis"]), headers=auth())
    assert r.status_code == 201 and r.json()["current_version"] == 2, r.text
    manager = auth(user="manager-education")
    r = client.post(f"{path}/authorisation", json={"version": 2}, headers=manager)
    assert r.status_code == 200, r.text
    review = {"reviewed_on": today().isoformat(), "note": written["review note"]}
    r = client.post(f"{path}/reviews", json=review, headers=auth())
    assert r.status_code == 200, r.text

    # every version, as written, with who did what
    view = client.get(path, headers=auth()).json()
    assert view["status"] == "reviewed"
    assert [v["content"]["analysis"] for v in view["versions"]] == [
        written["analysis"],
        written["second analysis"],
    ]
    assert [v["status"] for v in view["versions"]] == ["draft", "authorised"]
    assert view["versions"][1]["authorised"]["by"]["professional_id"] == "manager-education"
    assert view["versions"][0]["content"]["child_voice"] == written["child's voice"]
    assert view["reviews"][0]["note"] == written["review note"]

    # the panel sitting on the case reads the summary: no text, only whether needs were recorded
    panel = auth(Role.PANEL_MEMBER, "social-care", districts=["harlow"], tiers=["maag"])
    r = client.get(f"{path}/summary", headers=panel)
    assert r.status_code == 200, r.text
    summary = r.json()
    assert (summary["status"], summary["version"]) == ("reviewed", 2)
    assert summary["needs_recorded"]["family_and_environment"]["housing"] is True
    assert summary["needs_recorded"]["parenting_capacity"]["emotional-warmth"] is False
    assert not [name for name, value in written.items() if value in r.text]
    assert client.get(path, headers=panel).status_code == 403

    # someone without access: another agency's referrer has no such case
    other = auth(agency="housing")
    for refused in (client.get(path, headers=other), client.get(f"{path}/summary", headers=other)):
        assert refused.status_code == 404 and "case_id" in refused.text

    # the case erased: what the assessment said no longer opens, and is nowhere in the store
    r = client.post(
        f"/privacy/cases/{case_id}/erasure",
        json={"reason": "retention period ended"},
        headers=auth(Role.PRIVACY_OFFICER, "county-information-governance"),
    )
    assert r.status_code == 200, r.text
    view = client.get(path, headers=auth()).json()
    assert [v["content"] for v in view["versions"]] == [None, None]
    assert view["reviews"][0]["note"] is None and view["status"] == "reviewed"
    assert client.get(f"{path}/summary", headers=panel).json()["needs_recorded"] is None
    r = client.post(path, json=_body(written, "again"), headers=auth())
    assert r.status_code == 409 and r.json()["detail"].startswith("case_id:")

    rows = list(_rows(postgres_url, pg_schema))
    recorder = service.app.recorder
    assert isinstance(recorder, PostgresAggregateRecorder)  # the real database's rows
    assert recorder.events_table_name in {table for table, _ in rows}
    found = [
        (name, table)
        for table, text in rows
        for name, value in written.items()
        if value.encode() in text
    ]
    assert found == []
    events = list(_events(service.app))
    assert events
    assert [name for e in events for name, value in written.items() if value.encode() in e] == []
