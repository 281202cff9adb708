"""Add a document to a case the uploader may write notes on: its type checked from its
content, its name, description and bytes sealed under the case's data key; the bytes in
their own table (`DocumentContents`), the document's record in the store."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, model_serializer

from maag.runtime.commands import Command
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import Work
from services.referral.application.commands import handlers
from services.referral.application.erasure import key_for_writing
from services.referral.application.personal import seal, seal_bytes
from services.referral.domain.documents import (
    CaseDocuments,
    Document,
    DocumentKind,
    FileType,
    checked,
    content_mac,
    document_id,
    folder_of,
)
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class Upload(BaseModel):
    """The bytes sent. A keyed request is recognised by their digest (and size), not by the
    bytes themselves: the request's record is an HMAC under the caller's key over it."""

    model_config = ConfigDict(frozen=True)

    data: bytes

    @model_serializer
    def _as_request(self) -> dict[str, object]:
        return {"sha256": hashlib.sha256(self.data).hexdigest(), "size": len(self.data)}


@dataclass(frozen=True, kw_only=True)
class UploadDocument(Command):
    # a document is written about the child, as a note is: the same people may add one
    action: ClassVar[Action | None] = Action.WRITE_NOTE
    case_id: UUID
    kind: DocumentKind
    declared: FileType  # as the sender declares it (or its name implies): the content must be it
    file_name: str
    description: str | None
    content: Upload


@handlers(UploadDocument)
def upload_document(app: ReferralApp, c: UploadDocument, work: Work[ReferralApp]) -> Document:
    referral = work.get_as(c.case_id, Referral, "referral")
    data = c.content.data
    file_type = checked(c.declared, data)
    then = "documents, which may hold them, can no longer be added"
    key = key_for_writing(app, work, referral, then)
    about = seal(key, c.case_id, {"file_name": c.file_name, "description": c.description})
    # Every attempt at this request makes the same id: a retry after a lost race (the same
    # command), or the same Idempotency-Key sent again after a failure. Unkeyed, two
    # requests alike are two documents: which asking this is tells them apart.
    asked = c.request() if c.idempotency_key is not None else f"{c.request()}:{c.correlation_id}"
    document = Document.upload(
        document_id(key, asked),
        c.case_id,
        c.kind,
        file_type,
        len(data),
        about,
        content_mac(key, data),
    )
    folder = work.find(folder_of(c.case_id))
    if not isinstance(folder, CaseDocuments):
        folder = CaseDocuments(case_id=c.case_id)
    folder.file(document)
    work.add(document, folder)
    # The content is written before the unit commits the document's events (never a record
    # without its content). A commit that then fails leaves a row no record names: harmless
    # (sealed under the case's key), written over by the retry (the same id), and deleted
    # with the case's others by an erasure, which also runs after this unit's commit if one
    # committed meanwhile (`key_for_writing`).
    app.documents.put(document.id, c.case_id, seal_bytes(key, c.case_id, data))
    return document
