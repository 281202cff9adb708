"""Documents on a case on the real database, broker and identity provider: what is uploaded
downloads byte for byte, each download is recorded naming who, someone without access gets
nothing, and after erasure the content no longer opens (its row deleted) and no row of the
referral's schema holds the document's name or words (sealed under the case's key from the
start, in the store and in the table of documents' content)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
from fastapi.testclient import TestClient
from psycopg import sql

from contracts.reference import Role
from services.referral.domain.documents import Document, FileType
from services.referral.service import ReferralService
from tests.support.documents import sample
from tests.support.identity import auth
from tests.support.referral import details

CONTENT = "referral_document_content"  # the documents' bytes, sealed, a row each
NAME = "Quennell-consent-form-signed.pdf"
WORDS = "Xanthippe Quennell agrees to share with CAMHS"
PDF = sample(FileType.PDF, WORDS)


def _rows(postgres_url: str, schema: str) -> Iterator[tuple[str, bytes]]:
    """Every row of every table of the schema, as PostgreSQL holds it."""
    with psycopg.connect(postgres_url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
        for (table,) in tables:
            found = conn.execute(
                sql.SQL("SELECT t::text FROM {}.{} t").format(
                    sql.Identifier(schema), sql.Identifier(table)
                )
            )
            for (text,) in found:
                yield table, text.encode()


def _content_rows(postgres_url: str, schema: str, case_id: str) -> dict[str, int]:
    """The case's document content rows: each document's id, and its sealed bytes' size."""
    with psycopg.connect(postgres_url) as conn:
        found = conn.execute(
            sql.SQL("SELECT document_id, length(sealed) FROM {}.{} WHERE case_id = %s").format(
                sql.Identifier(schema), sql.Identifier(CONTENT)
            ),
            (case_id,),
        ).fetchall()
    return {str(document_id): size for document_id, size in found}


def _held(postgres_url: str, schema: str) -> list[str]:
    wanted = {"name": NAME.encode(), "words": WORDS.encode()}
    return sorted(
        {
            f"{what} in {table}"
            for table, raw in _rows(postgres_url, schema)
            for what, value in wanted.items()
            if value in raw or value.hex().encode() in raw
        }
    )


def test_a_document_downloads_as_sent_each_download_recorded_and_erasure_takes_it(
    service: ReferralService, postgres_url: str, pg_schema: str
) -> None:
    client = TestClient(service.api)
    key = {"Idempotency-Key": f"doc-{uuid.uuid4().hex}"}
    created = client.post("/referrals", json=details(), headers={**auth(), **key})
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]

    r = client.post(
        f"/referrals/{case_id}/documents",
        files={"file": (NAME, PDF, "application/pdf")},
        data={"kind": "consent-form", "description": "signed at the CAF meeting"},
        headers=auth(),
    )
    assert r.status_code == 201, r.text
    document_id = r.json()["document_id"]
    listed = client.get(f"/referrals/{case_id}/documents", headers=auth()).json()
    assert [(d["document_id"], d["file_name"]) for d in listed] == [(document_id, NAME)]

    url = f"/referrals/{case_id}/documents/{document_id}"
    first = client.get(url, headers=auth(user="teacher-1"))
    second = client.get(url, headers=auth(user="teacher-2"))
    assert first.status_code == second.status_code == 200
    assert first.content == second.content == PDF
    assert first.headers["content-type"] == "application/pdf"
    history = service.app.histories([uuid.UUID(document_id)])[uuid.UUID(document_id)]
    opened = [e for e in history if isinstance(e, Document.Opened)]
    assert [e.by["user_id"] for e in opened] == ["teacher-1", "teacher-2"]

    # someone without access to the child's details: nothing, not even that it exists
    police = auth(Role.REFERRER, "police")
    assert client.get(url, headers=police).status_code == 404
    assert client.get(f"/referrals/{case_id}/documents", headers=police).status_code == 404
    assert client.get(url, headers=auth(Role.AUDITOR, "county-audit")).status_code == 403

    # sealed under the case's key from the start: no row holds the name or the words, the
    # row of the content table that holds the document's bytes among those searched
    sealed_size = len(PDF) + 12 + 16  # AES-GCM's nonce and tag around the bytes
    assert _content_rows(postgres_url, pg_schema, case_id) == {document_id: sealed_size}
    assert CONTENT in {table for table, _ in _rows(postgres_url, pg_schema)}
    assert _held(postgres_url, pg_schema) == []

    dpo = auth(Role.PRIVACY_OFFICER, "county-information-governance")
    erased = client.post(
        f"/privacy/cases/{case_id}/erasure", json={"reason": "retention ended"}, headers=dpo
    )
    assert erased.status_code == 200, erased.text
    gone = client.get(url, headers=auth())
    assert gone.status_code == 410 and "erased" in gone.json()["detail"]
    (after,) = client.get(f"/referrals/{case_id}/documents", headers=auth()).json()
    assert after["file_name"] is None and after["description"] is None
    assert _content_rows(postgres_url, pg_schema, case_id) == {}
    assert _held(postgres_url, pg_schema) == []
