"""A case's documents on screens: the list (what each is, who added it, who opened it), the
upload form, and each download, passed through from the referral service with the signed-in
person's token. The service checks the type from the content, the size, and who may read or
add; it records every download. Nothing of a document is kept here."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from contracts.limits import DOCUMENT_BYTES, TEXT_CHARS
from maag.runtime.store.consistency import ASK_HEADER, POSITION_HEADER
from maag.runtime.web.http import CORRELATION_HEADER
from services.web.backend import (
    BackendError,
    Invalid,
    NotAllowed,
    NotFound,
    Refused,
    SignInAgain,
    Unavailable,
)
from services.web.forms import FormErrors, request_key
from services.web.pages import CheckedForm, Web, WebApp
from services.web.routes.case_record import (
    NOTE_WRITERS,
    Fields,
    NoteReader,
    NoteWriter,
    names,
    refusal,
    refusals,
    who_words,
)
from services.web.sessions import SignedIn

router = APIRouter()

KINDS = {
    "consent-form": "Signed consent form",
    "assessment": "Assessment",
    "school-report": "School report",
    "health-report": "Health report",
    "panel-paper": "Panel paper",
    "other": "Other",
}
TYPES = {
    "pdf": "PDF",
    "png": "PNG image",
    "jpeg": "JPEG image",
    "docx": "Word document",
    "xlsx": "Excel workbook",
    "pptx": "PowerPoint presentation",
    "odt": "OpenDocument text",
    "ods": "OpenDocument spreadsheet",
    "doc": "Word 97-2003 document",
    "xls": "Excel 97-2003 workbook",
}
DOCUMENT_FIELDS: Fields = {
    "file": ("file", "The file"),
    "kind": ("kind", "What the document is"),
    "description": ("description", "Description"),
}
# What a download passes on from the service: the type and name it gives, and that the
# browser must neither guess another type nor keep a copy.
PASSED_ON = ("content-type", "content-disposition", "x-content-type-options", "cache-control")


@dataclass(frozen=True)
class DocumentShown:
    document_id: str
    name: str
    kind: str
    type: str
    size: str
    added: str  # when (a moment)
    by: str
    description: str
    opened: int  # times


def size_words(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


LIMIT_WORDS = size_words(DOCUMENT_BYTES)


def shown(items: list[Mapping[str, Any]], named: Mapping[str, str]) -> list[DocumentShown]:
    """The service's documents as the page lists them, newest first."""
    return [
        DocumentShown(
            document_id=str(d["document_id"]),
            name=str(d.get("file_name") or "[name erased with the child's details]"),
            kind=KINDS.get(str(d.get("kind")), str(d.get("kind"))),
            type=TYPES.get(str(d.get("type")), str(d.get("type"))),
            size=size_words(int(d.get("size") or 0)),
            added=str(d.get("uploaded_at", "")),
            by=who_words(d.get("uploaded_by"), named),
            description=str(d.get("description") or ""),
            opened=len(d.get("opened") or []),
        )
        for d in reversed(items)
    ]


@router.get("/referrals/{case_id}/documents", response_class=HTMLResponse)
async def documents(request: Request, web: WebApp, who: NoteReader, case_id: uuid.UUID) -> Response:
    return await _page(web, request, who, case_id)


@router.post("/referrals/{case_id}/documents")
async def upload(
    request: Request, web: WebApp, who: NoteWriter, form: CheckedForm, case_id: uuid.UUID
) -> Response:
    errors = FormErrors()
    file = form.get("file")
    kind = str(form.get("kind", ""))
    description = str(form.get("description", "")).strip()
    if not isinstance(file, UploadFile) or not file.filename:
        errors.add("file", "Select a file")
    if kind not in KINDS:
        errors.add("kind", "Select what the document is")
    if len(description) > TEXT_CHARS:
        errors.add("description", f"The description must be {TEXT_CHARS} characters or fewer")

    async def again(e: FormErrors, status: int) -> HTMLResponse:
        return await _page(web, request, who, case_id, e, status, form)

    if errors or not isinstance(file, UploadFile):
        return await again(errors, 400)
    data = await file.read(DOCUMENT_BYTES + 1)
    if len(data) > DOCUMENT_BYTES:  # the service would refuse it: not worth sending
        return await again(
            FormErrors(by_field={"file": f"The file must be smaller than {LIMIT_WORDS}"}), 400
        )
    fields = {"kind": kind, **({"description": description} if description else {})}
    try:
        await _send(
            web,
            who,
            "POST",
            f"/referrals/{case_id}/documents",
            # the type is the one its name says; the service checks the content is it
            files={"file": (file.filename, data, "application/octet-stream")},
            data=fields,
            headers={"Idempotency-Key": request_key(form)},
        )
    except Invalid as e:  # the service names the field in its detail ("file: why") or errors
        found = refusals(e.errors, str(e), DOCUMENT_FIELDS) if e.errors else None
        return await again(found or refusal(str(e), DOCUMENT_FIELDS), 400)
    except Refused as e:
        return await again(refusal(str(e), DOCUMENT_FIELDS), 409)
    except NotAllowed as e:
        return await again(refusal(str(e), DOCUMENT_FIELDS), 403)
    return RedirectResponse(f"/referrals/{case_id}/documents", status_code=303)


@router.get("/referrals/{case_id}/documents/{document_id}")
async def download(
    web: WebApp, who: NoteReader, case_id: uuid.UUID, document_id: uuid.UUID
) -> Response:
    r = await _send(web, who, "GET", f"/referrals/{case_id}/documents/{document_id}")
    headers = {k: v for k in PASSED_ON if (v := r.headers.get(k)) is not None}
    return Response(r.content, headers=headers)


async def _page(
    web: Web,
    request: Request,
    who: SignedIn,
    case_id: uuid.UUID,
    errors: FormErrors | None = None,
    status: int = 200,
    form: Mapping[str, object] | None = None,
) -> HTMLResponse:
    call = web.backend.call
    referral, items = await asyncio.gather(
        call(who, "GET", "referral", f"/referrals/{case_id}"),
        call(who, "GET", "referral", f"/referrals/{case_id}/documents"),
    )
    named = await names(web, [d.get("uploaded_by") for d in items])
    sent = form or {}
    return web.page(
        request,
        "documents.html",
        who,
        status,
        referral=referral,
        documents=shown(items, named),
        may_write=who.has(*NOTE_WRITERS) and not referral.get("personal_data_erased"),
        kinds=KINDS,
        limit=LIMIT_WORDS,
        form={k: v for k, v in sent.items() if isinstance(v, str)},
        errors=errors or FormErrors(),
    )


async def _send(
    web: Web,
    who: SignedIn,
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
    **content: Any,
) -> httpx.Response:
    """A call to the referral service whose body or answer is no JSON (a multipart upload, a
    download), with what `Backend.call` sends (the token, the correlation id) and its
    refusals as the same errors."""
    backend = web.backend
    sent = {"Authorization": f"Bearer {who.access_token}", **(headers or {})}
    correlation_id = structlog.contextvars.get_contextvars().get("correlation_id")
    if correlation_id:
        sent[CORRELATION_HEADER] = str(correlation_id)
    writing = method not in ("GET", "HEAD")
    if writing:
        sent[ASK_HEADER] = "1"
    try:
        r = await backend.client.request(
            method, f"{backend.urls['referral']}{path}", headers=sent, **content
        )
    except httpx.HTTPError as e:
        raise Unavailable(f"the referral service did not answer ({type(e).__name__})") from e
    if r.status_code >= 500:
        raise Unavailable(f"the referral service failed ({r.status_code})")
    if r.status_code < 400:
        if writing:
            who.wrote("referral", r.headers.get(POSITION_HEADER))
        return r
    raise _refused(r)


def _refused(r: httpx.Response) -> BackendError:
    try:
        body = r.json()
    except ValueError:
        body = None
    detail = (
        str(body["detail"])[:500]
        if isinstance(body, dict) and isinstance(body.get("detail"), str)
        else f"{r.status_code} {r.reason_phrase}"
    )
    if r.status_code == 401:
        return SignInAgain(detail)
    if r.status_code == 403:
        return NotAllowed(detail)
    if r.status_code == 404:
        return NotFound(detail)
    if r.status_code == 410:  # the content was erased with the child's details: it says so
        return NotAllowed(detail)
    if r.status_code in (413, 422):
        errors = body.get("errors", []) if isinstance(body, dict) else []
        return Invalid([e for e in errors if isinstance(e, dict)], detail)
    return Refused(detail)
