"""Documents through the referral API: a multipart upload checked from its content and size
(refused naming `file`, nothing stored), the list, the download with its headers, each
download recorded, and an erased case's documents gone."""

from __future__ import annotations

import os
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from contracts.limits import DOCUMENT_BYTES, DOCUMENT_UPLOAD_BYTES, HTTP_BODY_BYTES, MIB
from contracts.reference import Role
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.referral.adapters.document_content import SqlDocumentContents, content_table
from services.referral.application.commands import UploadDocument
from services.referral.application.commands.upload_document import Upload
from services.referral.application.queries import case_documents as documents
from services.referral.domain.documents import (
    Document,
    DocumentAltered,
    DocumentKind,
    FileType,
    folder_of,
)
from tests.support.documents import EXE, sample
from tests.support.identity import auth
from tests.support.referral import details
from tests.unit.services.referral.conftest import Api

PDF = sample(FileType.PDF, "Signed by the family at the CAF meeting")
REFERRER = Caller.of("teacher-7", Role.REFERRER, "education")


def _case(api: Api) -> str:
    r = api.client.post("/referrals", json=details(), headers=auth())
    assert r.status_code == 201, r.text
    return str(r.json()["case_id"])


def _upload(
    api: Api,
    case_id: str,
    data: bytes = PDF,
    name: str = "consent-form.pdf",
    headers: dict[str, str] | None = None,
    **form: str,
) -> Any:
    return api.client.post(
        f"/referrals/{case_id}/documents",
        files={"file": (name, data, "application/pdf")},
        data={"kind": "consent-form", **form},
        headers=headers or auth(),
    )


def _contents(api: Api) -> SqlDocumentContents:
    documents = api.app.documents
    assert isinstance(documents, SqlDocumentContents)
    return documents


def _content_rows(api: Api, case_id: str | None = None) -> dict[UUID, int]:
    """The documents' content rows (of the case, if given): each one's sealed size."""
    query = select(content_table.c.document_id, func.length(content_table.c.sealed))
    if case_id is not None:
        query = query.where(content_table.c.case_id == UUID(case_id))
    with _contents(api).engine.connect() as conn:
        return {document_id: int(size) for document_id, size in conn.execute(query)}


def _stored_documents(api: Api) -> int:
    """How many documents the store holds, and contents their table holds."""
    found = len(_content_rows(api))
    for n in api.app.notifications_after(0):
        found += n.topic.endswith("Document.Uploaded")
    return found


def test_a_document_is_uploaded_listed_and_downloaded_as_it_was_sent(api: Api) -> None:
    case_id = _case(api)
    r = _upload(api, case_id, description="Consent to share, signed")
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["type"] == "pdf" and added["size"] == len(PDF)
    assert added["file_name"] == "consent-form.pdf" and added["kind"] == "consent-form"
    assert added["uploaded_by"]["role"] == "referrer"
    listed = api.client.get(f"/referrals/{case_id}/documents", headers=auth()).json()
    assert [d["document_id"] for d in listed] == [added["document_id"]]
    assert listed[0]["description"] == "Consent to share, signed"
    got = api.client.get(f"/referrals/{case_id}/documents/{added['document_id']}", headers=auth())
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith('attachment; filename="consent-form.pdf"')
    assert got.headers["x-content-type-options"] == "nosniff"


def test_each_download_is_recorded_on_the_document_naming_who(api: Api) -> None:
    case_id = _case(api)
    document_id = _upload(api, case_id).json()["document_id"]
    for _ in range(2):
        url = f"/referrals/{case_id}/documents/{document_id}"
        assert api.client.get(url, headers=auth(user="teacher-7")).status_code == 200
    (listed,) = api.client.get(f"/referrals/{case_id}/documents", headers=auth()).json()
    assert [a["by"]["user_id"] for a in listed["opened"]] == ["teacher-7", "teacher-7"]
    history = api.app.histories([UUID(document_id)])[UUID(document_id)]
    assert [type(e) for e in history] == [Document.Uploaded, Document.Opened, Document.Opened]


def test_a_wrong_type_is_refused_naming_file_and_nothing_is_stored(api: Api) -> None:
    case_id = _case(api)
    r = _upload(api, case_id, sample(FileType.PNG), "scan.pdf")
    assert r.status_code == 422
    assert r.json()["detail"] == "file: its content is a PNG image, not the PDF it is declared as"
    r = _upload(api, case_id, EXE, "consent-form.pdf")
    assert r.status_code == 422 and r.json()["detail"].startswith("file: its content is none")
    r = _upload(api, case_id, sample(FileType.PNG), "scan.png", type="docx")
    assert r.status_code == 422 and "not the Word document (DOCX)" in r.json()["detail"]
    assert _stored_documents(api) == 0
    assert api.client.get(f"/referrals/{case_id}/documents", headers=auth()).json() == []


def test_a_document_over_the_limit_is_refused_naming_the_limit_and_nothing_is_stored(
    api: Api,
) -> None:
    case_id = _case(api)
    over = PDF + bytes(DOCUMENT_BYTES + 1 - len(PDF))
    r = _upload(api, case_id, over)
    assert r.status_code == 422
    assert r.json()["detail"] == f"file: larger than the limit of 10 MiB ({DOCUMENT_BYTES} bytes)"
    # a body beyond the upload's allowance is refused before it is read, with the same words
    far_over = PDF + bytes(DOCUMENT_UPLOAD_BYTES)
    r = _upload(api, case_id, far_over)
    assert r.status_code == 413
    assert r.json()["detail"] == f"file: larger than the limit of 10 MiB ({DOCUMENT_BYTES} bytes)"
    assert _stored_documents(api) == 0


def test_the_uploads_allowance_is_its_own_other_routes_keep_the_shared_limit(api: Api) -> None:
    case_id = _case(api)
    big_note = {"text": "x" * HTTP_BODY_BYTES, "about_date": "2026-11-20"}
    r = api.client.post(f"/referrals/{case_id}/notes", json=big_note, headers=auth())
    assert r.status_code == 413
    assert r.json()["detail"] == f"request body: larger than {HTTP_BODY_BYTES} bytes"
    r = _upload(api, case_id, PDF + bytes(2 * HTTP_BODY_BYTES))
    assert r.status_code == 201, r.text


def test_an_empty_file_and_a_missing_kind_are_refused(api: Api) -> None:
    case_id = _case(api)
    r = _upload(api, case_id, b"")
    assert r.status_code == 422 and r.json()["detail"] == "file: it is empty"
    r = api.client.post(
        f"/referrals/{case_id}/documents",
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers=auth(),
    )
    assert r.status_code == 422 and "body.kind" in r.text
    assert _stored_documents(api) == 0


def test_someone_without_access_to_the_childs_details_gets_nothing(api: Api) -> None:
    case_id = _case(api)
    document_id = _upload(api, case_id).json()["document_id"]
    other_agency = auth(Role.REFERRER, "police")
    url = f"/referrals/{case_id}/documents"
    assert api.client.get(url, headers=other_agency).status_code == 404
    assert api.client.get(f"{url}/{document_id}", headers=other_agency).status_code == 404
    assert _upload(api, case_id, headers=other_agency).status_code == 404
    auditor = auth(Role.AUDITOR, "county-audit")
    assert api.client.get(f"{url}/{document_id}", headers=auditor).status_code == 403
    assert _stored_documents(api) == 2  # the first upload's document and content only


def test_after_erasure_the_content_is_gone_and_nothing_more_is_added(api: Api) -> None:
    case_id = _case(api)
    document_id = _upload(api, case_id).json()["document_id"]
    dpo = auth(Role.PRIVACY_OFFICER, "county-information-governance")
    r = api.client.post(
        f"/privacy/cases/{case_id}/erasure", json={"reason": "retention ended"}, headers=dpo
    )
    assert r.status_code == 200, r.text
    got = api.client.get(f"/referrals/{case_id}/documents/{document_id}", headers=auth())
    assert got.status_code == 410 and "erased" in got.json()["detail"]
    (listed,) = api.client.get(f"/referrals/{case_id}/documents", headers=auth()).json()
    assert listed["file_name"] is None and listed["type"] == "pdf"
    again = _upload(api, case_id)
    assert again.status_code == 409 and again.json()["detail"].startswith("case_id:")
    assert _content_rows(api, case_id) == {}


def test_erasure_deletes_the_cases_document_content_and_no_other_cases(api: Api) -> None:
    case_id, other = _case(api), _case(api)
    for _ in range(2):
        assert _upload(api, case_id).status_code == 201
    kept = _upload(api, other).json()["document_id"]
    assert len(_content_rows(api, case_id)) == 2
    dpo = auth(Role.PRIVACY_OFFICER, "county-information-governance")
    r = api.client.post(
        f"/privacy/cases/{case_id}/erasure", json={"reason": "retention ended"}, headers=dpo
    )
    assert r.status_code == 200, r.text
    assert _content_rows(api, case_id) == {}
    assert list(_content_rows(api, other)) == [UUID(kept)]
    got = api.client.get(f"/referrals/{other}/documents/{kept}", headers=auth())
    assert got.status_code == 200 and got.content == PDF


def test_the_bytes_are_in_their_table_and_no_event_of_the_case_is_bigger_than_a_few_kib(
    api: Api,
) -> None:
    case_id = _case(api)
    # random: neither the store's compression nor any other shrinks it
    large = PDF + os.urandom(MIB)
    document_id = _upload(api, case_id, large).json()["document_id"]
    api.client.get(f"/referrals/{case_id}/documents/{document_id}", headers=auth())
    stored = list(api.app.notifications_after(0))  # every event of the store: this case's
    ids = {UUID(case_id), folder_of(UUID(case_id)), UUID(document_id)}
    assert ids <= {n.originator_id for n in stored}
    assert max(len(n.state) for n in stored) < 4 * 1024
    ((row, size),) = _content_rows(api, case_id).items()
    assert row == UUID(document_id) and size > len(large)


def test_a_retry_after_a_failed_commit_writes_the_same_content_row_again(api: Api) -> None:
    case_id = _case(api)
    upload = UploadDocument(
        case_id=UUID(case_id),
        kind=DocumentKind.SCHOOL_REPORT,
        declared=FileType.PDF,
        file_name="report.pdf",
        description=None,
        content=Upload(data=PDF),
        caller=REFERRER,
        correlation_id="document-retry",
    )
    api.app.handle(upload, Work(api.app))  # its unit of work never committed
    (written,) = _content_rows(api, case_id)
    document = api.app.handle(upload)
    assert document.id == written and list(_content_rows(api, case_id)) == [written]
    got = api.client.get(f"/referrals/{case_id}/documents/{written}", headers=auth())
    assert got.status_code == 200 and got.content == PDF


def test_content_altered_in_its_table_is_never_given_as_the_documents(api: Api) -> None:
    case_id = _case(api)
    first = UUID(_upload(api, case_id).json()["document_id"])
    second = UUID(_upload(api, case_id, sample(FileType.PDF, "another")).json()["document_id"])
    contents = _contents(api)
    # the second's content, sealed under the same case key, put in place of the first's
    contents.put(first, UUID(case_id), contents.sealed(second) or "")
    with pytest.raises(DocumentAltered, match=r"is not what was uploaded"):
        documents.open_document(api.app, UUID(case_id), first, REFERRER)
    got = api.client.get(f"/referrals/{case_id}/documents/{first}", headers=auth())
    assert got.status_code == 500 and got.content != sample(FileType.PDF, "another")


def test_subject_access_lists_the_documents_and_withholds_who_handled_them(api: Api) -> None:
    case_id = _case(api)
    document_id = _upload(api, case_id, headers=auth(user="teacher-7")).json()["document_id"]
    api.client.get(f"/referrals/{case_id}/documents/{document_id}", headers=auth(user="teacher-7"))
    dpo = auth(Role.PRIVACY_OFFICER, "county-information-governance")
    r = api.client.get(f"/privacy/cases/{case_id}/export", headers=dpo)
    assert r.status_code == 200, r.text
    (listed,) = r.json()["referral"]["documents"]
    assert (listed["document_id"], listed["file_name"]) == (document_id, "consent-form.pdf")
    assert listed["uploaded_by"]["role"] == "referrer"
    assert listed["uploaded_by"]["user_id"].startswith("[withheld")
    assert listed["opened"][0]["by"]["user_id"].startswith("[withheld")
    assert "teacher-7" not in r.text
