"""The referral service's routes for documents on a case: upload (a multipart form), list,
and download. The upload's body is allowed DOCUMENT_UPLOAD_BYTES (every other route keeps
the shared limit); its type is checked from its content, never from its name or the part's
content type."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, File, Form, HTTPException, Response, UploadFile

from contracts.limits import DOCUMENT_BYTES, DOCUMENT_NAME_CHARS, DOCUMENT_UPLOAD_BYTES, TEXT_CHARS
from maag.runtime.web import http
from services.referral.adapters.dependencies import App
from services.referral.application.commands import UploadDocument
from services.referral.application.commands.upload_document import Upload
from services.referral.application.queries import case_documents as documents
from services.referral.application.queries.case_documents import DocumentView
from services.referral.domain.documents import (
    LIMIT_WORDS,
    DocumentErased,
    DocumentKind,
    DocumentRefused,
    FileType,
    declared_type,
)

router = APIRouter(route_class=http.StrictRoute)

# What a download's name may carry as it is (the rest is percent-encoded in `filename*`).
_PLAIN_NAME = re.compile(r"[^A-Za-z0-9._ ()-]")


@router.post(
    "/referrals/{case_id}/documents",
    status_code=201,
    response_model=DocumentView,
    tags=["documents"],
    summary="Add a document to a case you may write notes on (PDF, PNG, JPEG, DOCX, XLSX, "
    f"PPTX, ODT, ODS, DOC or XLS; at most {LIMIT_WORDS})",
    description="A multipart form. The type is checked from the content: `type`, or the "
    "file name's extension when it is not given, must be what the content is (422 naming "
    "`file` otherwise).",
    openapi_extra=http.body_allowance(
        DOCUMENT_UPLOAD_BYTES, f"file: larger than the limit of {LIMIT_WORDS}"
    ),
)
def upload(
    case_id: UUID,
    app: App,
    asked: http.Asked,
    file: Annotated[UploadFile, File(description="The document.")],
    kind: Annotated[DocumentKind, Form()],
    file_type: Annotated[
        FileType | None,
        Form(
            alias="type",
            description="What the document is; by default, what its name's extension says.",
        ),
    ] = None,
    description: Annotated[str | None, Form(min_length=1, max_length=TEXT_CHARS)] = None,
) -> DocumentView:
    name = (file.filename or "").strip()
    if not name or len(name) > DOCUMENT_NAME_CHARS:
        raise HTTPException(422, f"file: give its name (at most {DOCUMENT_NAME_CHARS} characters)")
    data = file.file.read(DOCUMENT_BYTES + 1)  # one more: over the limit is refused, named
    try:
        document = app.handle(
            UploadDocument(
                case_id=case_id,
                kind=kind,
                declared=declared_type(file_type, name),
                file_name=name,
                description=description,
                content=Upload(data=data),
                **asked,
            )
        )
    except DocumentRefused as e:
        raise HTTPException(422, str(e)) from None
    (added,) = documents.document_views(app, case_id, [document.id])
    return added


@router.get(
    "/referrals/{case_id}/documents",
    response_model=list[DocumentView],
    tags=["documents"],
    summary="A case's documents, oldest first: what each is, who added it and who opened it "
    "(the read is recorded)",
)
def list_documents(case_id: UUID, app: App, caller: http.CallerDep) -> list[DocumentView]:
    return documents.case_documents(app, case_id, caller)


@router.get(
    "/referrals/{case_id}/documents/{document_id}",
    tags=["documents"],
    summary="Download a document (each download is recorded on it: who, when)",
    description="410 once the case's personal details were erased.",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download(case_id: UUID, document_id: UUID, app: App, caller: http.CallerDep) -> Response:
    try:
        opened = documents.open_document(app, case_id, document_id, caller)
    except DocumentErased as e:
        raise HTTPException(410, str(e)) from None
    return Response(
        opened.content,
        media_type=opened.document.media_type,
        headers={
            "Content-Disposition": attachment(opened.document.file_name or str(document_id)),
            # the browser must not take it for something else (a page, a script)
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def attachment(file_name: str) -> str:
    """`Content-Disposition` for a download named `file_name` (RFC 6266): a plain ASCII name
    for old clients, the name itself percent-encoded for the rest."""
    plain = _PLAIN_NAME.sub("_", file_name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(file_name, safe='')}"
