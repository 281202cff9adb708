"""A case's documents page: the list, the upload passed through to the referral service as
a multipart form (once, with the form's key), and the service's refusal beside the file."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from services.referral.domain.documents import FileType
from tests.support.documents import sample
from tests.unit.services.web.stand_ins import Provider, Services, form_token, sign_in

CASE = uuid.UUID("7a1e3c55-2f0b-4c1e-9a51-2e6f8d1c0b42")
API = f"http://referral.test/referrals/{CASE}"
REFERRAL = {"case_id": str(CASE), "caf_reference": "CAF-2026-000777", "district": "harlow"}
DOCUMENT = {
    "document_id": "5b0c9a3e-64f1-4c55-8f0e-3b1b7b3c1d2e",
    "kind": "consent-form",
    "type": "pdf",
    "media_type": "application/pdf",
    "size": 2048,
    "uploaded_at": "2026-12-06T15:18:03Z",
    "uploaded_by": {"user_id": "referrer-education", "role": "referrer", "agency": "education"},
    "file_name": "consent <signed>.pdf",
    "description": "Signed at the CAF meeting",
    "opened": [],
}


def _page(
    web: TestClient, services: Services, provider: Provider, documents: list[dict[str, object]]
) -> str:
    sign_in(web, provider, "referrer-education", "referrer")
    services.answer("GET", API, 200, REFERRAL)
    services.answer("GET", f"{API}/documents", 200, documents)
    page = web.get(f"/referrals/{CASE}/documents")
    assert page.status_code == 200, page.text
    return str(page.text)


def test_the_documents_are_listed_with_a_download_link_and_the_form(
    web: TestClient, services: Services, provider: Provider
) -> None:
    page = _page(web, services, provider, [DOCUMENT])
    assert f'href="/referrals/{CASE}/documents/{DOCUMENT["document_id"]}"' in page
    assert "consent &lt;signed&gt;.pdf" in page and "Signed consent form" in page
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page


def test_an_upload_is_passed_on_once_and_a_refusal_shown_beside_the_file(
    web: TestClient, services: Services, provider: Provider
) -> None:
    csrf = form_token(_page(web, services, provider, []))
    form = {"csrf_token": csrf, "idempotency_key": "k" * 16, "kind": "consent-form"}
    files = {"file": ("scan.pdf", sample(FileType.PNG), "application/pdf")}
    refused = "file: its content is a PNG image, not the PDF it is declared as"
    services.answer("POST", f"{API}/documents", 422, {"detail": refused})
    again = web.post(f"/referrals/{CASE}/documents", data=form, files=files)
    assert again.status_code == 400
    assert 'id="file-error"' in again.text and "not the PDF it is declared as" in again.text
    sent = services.one("POST", f"{API}/documents")
    assert sent.headers["Idempotency-Key"] == "web-" + "k" * 16
    assert sent.headers["Authorization"] == "Bearer token-referrer-education"
    assert b'name="kind"' in sent.content and sample(FileType.PNG) in sent.content
    services.answer("POST", f"{API}/documents", 201, DOCUMENT)
    done = web.post(f"/referrals/{CASE}/documents", data=form, files=files)
    assert done.status_code == 303 and done.headers["location"] == f"/referrals/{CASE}/documents"


def test_an_upload_without_a_file_or_a_kind_is_refused_here_and_nothing_sent(
    web: TestClient, services: Services, provider: Provider
) -> None:
    csrf = form_token(_page(web, services, provider, []))
    services.sent.clear()
    again = web.post(f"/referrals/{CASE}/documents", data={"csrf_token": csrf})
    assert again.status_code == 400
    assert "Select a file" in again.text and "Select what the document is" in again.text
    assert not [r for r in services.sent if r.method == "POST"]
