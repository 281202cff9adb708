"""Documents on a case: a signed consent form, an assessment, a school or health report, a
panel paper.

A document's type is what its content is (its first bytes, or the structure of its
container), never what its name or the sender says: the declared type must be the one the
content shows, and content of no type accepted here is refused. Its name and description
may name people, and its content is about the child: all three are sealed under the case's
own data key, and are erased with it.

Two aggregates, each read only when needed:
- `Document`: what the document is (kind, type, size, its sealed name and description, a MAC
  of its content under the case's key) and every time someone opened it (who, when);
- `CaseDocuments`: the case's documents, in the order they were added (one per case, its id
  made from the case's: found without a read model, so an upload lists at once).

The bytes are not in the event store: they are in a table of the referral's own schema, a
row per document by its id (the `DocumentContents` port), sealed under the case's key like
every other personal value. Everything that loads events in batches (the outbox relay, the
hash chain, the projector) or re-reads a case's every event (an audit's replay, a subject
access export) would otherwise carry up to DOCUMENT_BYTES, sealed and encoded twice, per
document: a burst of uploads could exhaust the service's memory. The row is written before
the document's events are committed (a failed commit leaves a row no record names: sealed,
written again by a retry, deleted by erasure); the record's MAC, in the store's hash chain,
is what a download checks the row against, so content altered or swapped in the table is
never given as the document's. Erasure destroys the key and deletes the rows.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import zipfile
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL, SPECIAL, THIRD_PARTY
from contracts.limits import DOCUMENT_BYTES, MIB


class DocumentRefused(ValueError):
    """The upload is not a document MAAG takes (HTTP 422): the message names the field and
    the rule."""


class DocumentErased(Exception):
    """The document's content was erased with the case's personal details (HTTP 410)."""


class DocumentAltered(Exception):
    """The content stored for a document is not what was uploaded (its MAC differs): altered
    or swapped in its table, never given as the document's (HTTP 500)."""


class DocumentKind(StrEnum):
    CONSENT_FORM = "consent-form"
    ASSESSMENT = "assessment"
    SCHOOL_REPORT = "school-report"
    HEALTH_REPORT = "health-report"
    PANEL_PAPER = "panel-paper"
    OTHER = "other"


class FileType(StrEnum):
    """The types of document MAAG takes, each by its usual extension."""

    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    DOCX = "docx"
    XLSX = "xlsx"
    PPTX = "pptx"
    ODT = "odt"
    ODS = "ods"
    DOC = "doc"
    XLS = "xls"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def words(self) -> str:
        """What it is, as a refusal says it: "the PDF it is declared as"."""
        return _WORDS[self]


_MEDIA_TYPES = {
    FileType.PDF: "application/pdf",
    FileType.PNG: "image/png",
    FileType.JPEG: "image/jpeg",
    FileType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileType.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    FileType.ODT: "application/vnd.oasis.opendocument.text",
    FileType.ODS: "application/vnd.oasis.opendocument.spreadsheet",
    FileType.DOC: "application/msword",
    FileType.XLS: "application/vnd.ms-excel",
}
_WORDS = {
    FileType.PDF: "PDF",
    FileType.PNG: "PNG image",
    FileType.JPEG: "JPEG image",
    FileType.DOCX: "Word document (DOCX)",
    FileType.XLSX: "Excel workbook (XLSX)",
    FileType.PPTX: "PowerPoint presentation (PPTX)",
    FileType.ODT: "OpenDocument text (ODT)",
    FileType.ODS: "OpenDocument spreadsheet (ODS)",
    FileType.DOC: "Word 97-2003 document (DOC)",
    FileType.XLS: "Excel 97-2003 workbook (XLS)",
}
EXTENSIONS = {
    ".pdf": FileType.PDF,
    ".png": FileType.PNG,
    ".jpg": FileType.JPEG,
    ".jpeg": FileType.JPEG,
    ".docx": FileType.DOCX,
    ".xlsx": FileType.XLSX,
    ".pptx": FileType.PPTX,
    ".odt": FileType.ODT,
    ".ods": FileType.ODS,
    ".doc": FileType.DOC,
    ".xls": FileType.XLS,
}
ACCEPTED = "PDF, PNG, JPEG, DOCX, XLSX, PPTX, ODT, ODS, DOC or XLS"
LIMIT_WORDS = f"{DOCUMENT_BYTES // MIB} MiB ({DOCUMENT_BYTES} bytes)"

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_MAGIC = b"PK\x03\x04"
# An OLE compound file (Word and Excel 97-2003): which of the two it is lives in its
# directory; both are taken as either.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The main part an office document's `[Content_Types].xml` names, per type.
OOXML_MAIN = {
    FileType.DOCX: b"wordprocessingml.document.main+xml",
    FileType.XLSX: b"spreadsheetml.sheet.main+xml",
    FileType.PPTX: b"presentationml.presentation.main+xml",
}
# The most read of a container's small descriptive parts: a real one is a few KiB, and
# reading no more keeps a part that decompresses to gigabytes from costing anything.
PART_BYTES = 256 * 1024


def declared_type(declared: FileType | None, file_name: str) -> FileType:
    """The type the sender declares: given, or implied by the name's extension."""
    if declared is not None:
        return declared
    dot = file_name.rfind(".")
    found = EXTENSIONS.get(file_name[dot:].lower()) if dot >= 0 else None
    if found is None:
        raise DocumentRefused(
            f"file: its name does not say its type (a {ACCEPTED} file's extension); "
            "declare its type"
        )
    return found


def content_types(data: bytes) -> frozenset[FileType]:
    """The types `data` is, by its content (an OLE compound file may be either of two)."""
    if data.startswith(PDF_MAGIC):
        return frozenset({FileType.PDF})
    if data.startswith(PNG_MAGIC):
        return frozenset({FileType.PNG})
    if data.startswith(JPEG_MAGIC):
        return frozenset({FileType.JPEG})
    if data.startswith(OLE_MAGIC):
        return frozenset({FileType.DOC, FileType.XLS})
    if data.startswith(ZIP_MAGIC):
        return _office_types(data)
    return frozenset()


def _office_types(data: bytes) -> frozenset[FileType]:
    """An office document is a ZIP whose structure says what it is: OOXML's
    `[Content_Types].xml` names its main part; OpenDocument's `mimetype` entry is its type."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as part:
                    types = part.read(PART_BYTES)
                return frozenset(t for t, main in OOXML_MAIN.items() if main in types)
            if "mimetype" in names:
                with archive.open("mimetype") as part:
                    mimetype = part.read(100).strip()
                return frozenset(
                    t for t in (FileType.ODT, FileType.ODS) if mimetype == t.media_type.encode()
                )
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, RuntimeError, zlib.error):
        return frozenset()  # not a ZIP after all, or one that cannot be read (encrypted)
    return frozenset()


def checked(declared: FileType, data: bytes) -> FileType:
    """`declared`, once the content is shown to be it and within the size limit."""
    if not data:
        raise DocumentRefused("file: it is empty")
    if len(data) > DOCUMENT_BYTES:
        raise DocumentRefused(f"file: larger than the limit of {LIMIT_WORDS}")
    found = content_types(data)
    if not found and data.startswith(ZIP_MAGIC):
        raise DocumentRefused(
            f"file: its content is a ZIP archive, not an office document; MAAG takes {ACCEPTED} "
            "files"
        )
    if not found:
        raise DocumentRefused(f"file: its content is none of the types MAAG takes ({ACCEPTED})")
    if declared not in found:
        words = " or ".join(t.words for t in sorted(found))
        raise DocumentRefused(
            f"file: its content is {_article(words)} {words}, not the {declared.words} it is "
            "declared as"
        )
    return declared


def _article(words: str) -> str:
    return "an" if words[0] in "AEIOU" else "a"


def document_id(key: bytes, request: str) -> UUID:
    """The id of the document that `request` (what was asked, `Command.request`, and which
    asking of it) adds, keyed with the case's data key: the same for every attempt at the
    same request, so each writes the same content row; made from the content, yet no one
    without the key can confirm a guessed document by it."""
    made = hmac.new(key, b"maag:referral:document-id:" + request.encode(), hashlib.sha256)
    return UUID(bytes=made.digest()[:16], version=4)


def content_mac(key: bytes, data: bytes) -> str:
    """What the document's record keeps of its content: an HMAC under the case's data key
    (a plain hash would confirm a guessed document), gone with the key."""
    mac = hmac.new(key, b"maag:referral:document-content:", hashlib.sha256)
    mac.update(data)
    return mac.hexdigest()


def folder_of(case_id: UUID) -> UUID:
    """The id of the case's `CaseDocuments`."""
    return uuid5(NAMESPACE_URL, f"maag:referral:documents:{case_id}")


@dataclass(frozen=True)
class Access:
    """One opening of a document: who (their user id, role and agency), and when."""

    by: dict[str, str]
    at: str


class Document(Aggregate):
    class Uploaded(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]
        kind: Annotated[str, OPERATIONAL]
        file_type: Annotated[str, OPERATIONAL]  # as its content shows it
        size: Annotated[int, OPERATIONAL]  # bytes
        # its file name and description, sealed under the case's data key
        sealed_about: Annotated[str | None, SPECIAL]
        # its content's HMAC under the case's data key (`content_mac`): the content itself
        # is beside the store, by the document's id
        content_mac: Annotated[str | None, SPECIAL]  # None once erased

    class Opened(Aggregate.Event):
        by: Annotated[dict[str, str], THIRD_PARTY]  # the caller's user id, role and agency

        def apply(self, aggregate: Document) -> None:
            aggregate.accesses.append(Access(dict(self.by), self.timestamp.isoformat()))

    @event(Uploaded)
    def __init__(
        self,
        id: UUID,  # made from the request (`document_id`): the event's originator id
        case_id: UUID,
        kind: str,
        file_type: str,
        size: int,
        sealed_about: str | None,
        content_mac: str | None,
    ) -> None:
        self.case_id = case_id
        self.kind = DocumentKind(kind)
        self.file_type = FileType(file_type)
        self.size = size
        self.sealed_about = sealed_about  # None once erased
        self.content_mac = content_mac
        self.accesses: list[Access] = []

    @classmethod
    def upload(
        cls,
        document_id: UUID,
        case_id: UUID,
        kind: DocumentKind,
        file_type: FileType,
        size: int,
        sealed_about: str,
        mac: str,
    ) -> Document:
        return cls(
            id=document_id,
            case_id=case_id,
            kind=kind.value,
            file_type=file_type.value,
            size=size,
            sealed_about=sealed_about,
            content_mac=mac,
        )

    def open(self, by: dict[str, str]) -> None:
        """Someone opened (downloaded) it."""
        self.trigger_event(self.Opened, by=dict(by))

    def check(self, key: bytes, content: bytes) -> bytes:
        """`content`, once shown to be what was uploaded."""
        if self.content_mac is None:  # erased (its key with it: the content no longer opens)
            raise DocumentErased(f"document {self.id}: erased with the case's personal details")
        if not hmac.compare_digest(content_mac(key, content), self.content_mac):
            raise DocumentAltered(
                f"document {self.id}: the content stored for it is not what was uploaded"
            )
        return content


class CaseDocuments(Aggregate):
    """The documents of one case, in the order they were added."""

    class Started(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]

    class Filed(Aggregate.Event):
        document_id: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: CaseDocuments) -> None:
            aggregate.document_ids.append(UUID(self.document_id))

    @staticmethod
    def create_id(case_id: UUID) -> UUID:
        return folder_of(case_id)

    @event(Started)
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        self.document_ids: list[UUID] = []

    def file(self, document: Document) -> None:
        if document.case_id != self.case_id:  # a bug, not a request: nothing names it
            raise ValueError(f"document {document.id} is not on case {self.case_id}")
        self.trigger_event(self.Filed, document_id=str(document.id))
