"""Documents on a case, as the domain knows them: the type checked from the content (never
the name), the size limit, the aggregates' events, a document's id and its content's MAC."""

from __future__ import annotations

import uuid

import pytest

from contracts.limits import DOCUMENT_BYTES
from services.referral.domain.documents import (
    CaseDocuments,
    Document,
    DocumentAltered,
    DocumentKind,
    DocumentRefused,
    FileType,
    checked,
    content_mac,
    content_types,
    declared_type,
    document_id,
    folder_of,
)
from tests.support.documents import EXE, sample, zipped


@pytest.mark.parametrize("kind", list(FileType))
def test_each_type_is_known_by_its_content(kind: FileType) -> None:
    data = sample(kind)
    assert kind in content_types(data)
    assert checked(kind, data) is kind


def test_a_legacy_office_file_is_taken_as_a_doc_or_an_xls() -> None:
    assert content_types(sample(FileType.DOC)) == {FileType.DOC, FileType.XLS}


def test_a_png_declared_as_a_pdf_is_refused_naming_the_file_and_what_it_is() -> None:
    with pytest.raises(DocumentRefused) as e:
        checked(FileType.PDF, sample(FileType.PNG))
    assert str(e.value) == "file: its content is a PNG image, not the PDF it is declared as"


def test_a_renamed_program_is_refused_whatever_its_name_says() -> None:
    declared = declared_type(None, "consent-form.pdf")
    assert declared is FileType.PDF
    with pytest.raises(DocumentRefused, match=r"^file: its content is none of the types"):
        checked(declared, EXE)


def test_a_zip_that_is_no_office_document_is_refused() -> None:
    archive = zipped({"notes.txt": b"not an office document"})
    assert content_types(archive) == frozenset()
    with pytest.raises(
        DocumentRefused, match=r"^file: its content is a ZIP archive, not an office"
    ):
        checked(FileType.DOCX, archive)


def test_an_office_document_of_another_type_is_refused() -> None:
    with pytest.raises(DocumentRefused, match=r"Excel workbook .XLSX., not the Word document"):
        checked(FileType.DOCX, sample(FileType.XLSX))
    with pytest.raises(DocumentRefused, match=r"OpenDocument spreadsheet"):
        checked(FileType.ODT, sample(FileType.ODS))


def test_a_broken_zip_is_no_office_document() -> None:
    assert content_types(sample(FileType.DOCX)[:40]) == frozenset()


def test_the_type_is_declared_or_implied_by_the_names_extension() -> None:
    assert declared_type(FileType.PNG, "scan.pdf") is FileType.PNG  # declared wins, then checked
    assert declared_type(None, "Report.JPG") is FileType.JPEG
    with pytest.raises(DocumentRefused, match=r"^file: its name does not say its type"):
        declared_type(None, "report")
    with pytest.raises(DocumentRefused, match=r"^file: its name does not say its type"):
        declared_type(None, "setup.exe")


def test_the_size_limit_is_declared_once_and_an_empty_file_refused() -> None:
    at_limit = sample(FileType.PDF) + bytes(DOCUMENT_BYTES - len(sample(FileType.PDF)))
    assert checked(FileType.PDF, at_limit) is FileType.PDF
    with pytest.raises(
        DocumentRefused,
        match=rf"^file: larger than the limit of 10 MiB \({DOCUMENT_BYTES} bytes\)$",
    ):
        checked(FileType.PDF, at_limit + b"x")
    with pytest.raises(DocumentRefused, match=r"^file: it is empty$"):
        checked(FileType.PDF, b"")


KEY = bytes(range(32))


def _document(case_id: uuid.UUID, data: bytes = b"%PDF-") -> Document:
    return Document.upload(
        uuid.uuid4(),
        case_id,
        DocumentKind.CONSENT_FORM,
        FileType.PDF,
        len(data),
        "sealed",
        content_mac(KEY, data),
    )


def test_a_document_records_its_upload_its_filing_and_each_opening() -> None:
    case_id = uuid.uuid4()
    document = _document(case_id)
    folder = CaseDocuments(case_id=case_id)
    folder.file(document)
    assert folder.id == folder_of(case_id)
    assert folder.document_ids == [document.id]
    assert (document.case_id, document.size) == (case_id, 5)
    assert document.file_type is FileType.PDF and document.kind is DocumentKind.CONSENT_FORM
    document.open({"user_id": "u1", "role": "referrer", "agency": "education"})
    document.open({"user_id": "u2", "role": "lead-professional", "agency": "camhs"})
    events = document.collect_events()
    assert [type(e) for e in events] == [Document.Uploaded, Document.Opened, Document.Opened]
    assert [a.by["user_id"] for a in document.accesses] == ["u1", "u2"]
    assert [type(e) for e in folder.collect_events()] == [
        CaseDocuments.Started,
        CaseDocuments.Filed,
    ]


def test_a_document_is_filed_only_on_its_own_case() -> None:
    document = _document(uuid.uuid4())
    with pytest.raises(ValueError, match=r"is not on case"):
        CaseDocuments(case_id=uuid.uuid4()).file(document)


def test_a_documents_id_is_the_same_for_the_same_request_and_keyed_with_the_cases_key() -> None:
    assert document_id(KEY, "request-1") == document_id(KEY, "request-1")
    assert document_id(KEY, "request-1") != document_id(KEY, "request-2")
    assert document_id(KEY, "request-1") != document_id(bytes(32), "request-1")


def test_content_other_than_what_was_uploaded_is_refused_as_the_documents() -> None:
    document = _document(uuid.uuid4(), b"%PDF-uploaded")
    assert document.check(KEY, b"%PDF-uploaded") == b"%PDF-uploaded"
    with pytest.raises(DocumentAltered, match=r"is not what was uploaded"):
        document.check(KEY, b"%PDF-another")
    assert content_mac(KEY, b"%PDF-uploaded") != content_mac(bytes(32), b"%PDF-uploaded")
