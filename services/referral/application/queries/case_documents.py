"""Read a case's documents: the list (what each is, who added it and when), and one
document's content. Documents follow the child's details (they may name the family: the
policy's READ_CHILD); the list is a recorded read of the case, and each opening of a
document is also an event on the document (who, when)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from pydantic import BaseModel, Field

from maag.runtime import causation, policy
from maag.runtime.commands import CONFLICT_ATTEMPTS
from maag.runtime.evidence.reads import case_reads
from maag.runtime.policy import Action
from maag.runtime.queries import read_case
from maag.runtime.store.unit_of_work import Conflict, NotFound, Work, fold
from maag.runtime.web.auth import Caller
from services.referral.application.access import load, scope_of
from services.referral.application.personal import PersonalDataErased, unseal, unseal_bytes
from services.referral.domain.documents import (
    CaseDocuments,
    Document,
    DocumentErased,
    DocumentKind,
    FileType,
    folder_of,
)

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


class DocumentAccess(BaseModel):
    at: datetime
    by: dict[str, str]


class DocumentView(BaseModel):
    document_id: UUID
    kind: DocumentKind
    type: FileType = Field(description="As its content shows it.")
    media_type: str
    size: int = Field(description="Bytes.")
    uploaded_at: datetime
    uploaded_by: dict[str, str] | None
    file_name: str | None = Field(description="null once the case's details were erased")
    description: str | None
    opened: list[DocumentAccess] = Field(description="Who opened it, and when, oldest first.")


@dataclass(frozen=True)
class OpenedDocument:
    document: DocumentView
    content: bytes


def case_documents(app: ReferralApp, case_id: UUID, caller: Caller) -> list[DocumentView]:
    """The case's documents, oldest first."""
    read_case(app, caller, Action.READ_CHILD, case_id, load, scope_of)
    return document_views(app, case_id)


def document_views(
    app: ReferralApp, case_id: UUID, document_ids: Sequence[UUID] | None = None
) -> list[DocumentView]:
    """The case's documents (or those of `document_ids`), oldest first, their names opened
    with the case's key (the caller has been authorised). Their content is not read."""
    if document_ids is None:
        folder = Work(app).find(folder_of(case_id))
        document_ids = folder.document_ids if isinstance(folder, CaseDocuments) else []
    found = []
    for events in app.histories(document_ids).values():
        document = fold(None, events)
        assert isinstance(document, Document)
        found.append(_view(app, document, events[0]))
    return sorted(found, key=lambda d: d.uploaded_at)


def open_document(
    app: ReferralApp, case_id: UUID, document_id: UUID, caller: Caller
) -> OpenedDocument:
    """The document's content, for a caller who may read the child's details; the opening
    recorded on the document (and as a read of the case) before it is given."""
    policy.require_role(caller, Action.READ_CHILD)  # before saying whether the case exists
    for _ in range(CONFLICT_ATTEMPTS):
        work: Work[ReferralApp] = Work(app)
        referral = load(work, case_id)
        policy.require(caller, Action.READ_CHILD, scope_of(referral))
        document = _document_on_case(work, document_id, case_id)
        if referral.erased is not None:
            raise DocumentErased(
                f"document_id: case {case_id}'s personal details were erased, and the "
                "document's content with them"
            )
        document.open(caller.record)
        reads = case_reads([case_id], caller, personal_data=True)
        try:
            app.commit_unit([document, *reads])
        except IntegrityError:
            continue  # opened by someone else meanwhile: record this opening after theirs
        return OpenedDocument(_view(app, document, None), _content(app, document))
    raise Conflict("the document was opened by others while this request was handled; retry")


def _document_on_case(work: Work, document_id: UUID, case_id: UUID) -> Document:
    found = work.find(document_id)
    if not isinstance(found, Document) or found.case_id != case_id:
        raise NotFound(f"document_id: no document {document_id} on case {case_id}")
    return found


def _content(app: ReferralApp, document: Document) -> bytes:
    """Its content from its table, opened with the case's key and checked against its
    record. No row (it is written before the record is committed: only an erasure deletes
    it) answers as an erased case does."""
    key = app.keyring.find(document.case_id)
    sealed = app.documents.sealed(document.id)
    try:
        if key is None or sealed is None:
            raise PersonalDataErased(f"case {document.case_id}'s data key is gone")
        content = unseal_bytes(key, document.case_id, sealed)
    except PersonalDataErased:
        raise DocumentErased(
            f"document_id: case {document.case_id}'s personal details were erased, and the "
            "document's content with them"
        ) from None
    return document.check(key, content)


def _view(app: ReferralApp, document: Document, uploaded: object | None) -> DocumentView:
    """`uploaded`: its first event (who added it is its metadata), when at hand."""
    about = _about(app, document)
    if uploaded is None:
        uploaded = next(iter(app.events.get(document.id, limit=1)))
    return DocumentView(
        document_id=document.id,
        kind=document.kind,
        type=document.file_type,
        media_type=document.file_type.media_type,
        size=document.size,
        uploaded_at=document.created_on,
        uploaded_by=causation.actor_of(uploaded),
        file_name=_text(about, "file_name"),
        description=_text(about, "description"),
        opened=[
            DocumentAccess(at=datetime.fromisoformat(a.at), by=a.by) for a in document.accesses
        ],
    )


def _about(app: ReferralApp, document: Document) -> dict[str, object]:
    """Its name and description, or nothing: erased with the case's details."""
    key = app.keyring.find(document.case_id)
    if key is None or document.sealed_about is None:
        return {}
    try:
        return unseal(key, document.case_id, document.sealed_about)
    except PersonalDataErased:
        return {}


def _text(about: dict[str, object], name: str) -> str | None:
    value = about.get(name)
    return None if value is None else str(value)
