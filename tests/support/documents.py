"""Small documents of each type MAAG takes, made in memory: as their content shows them."""

from __future__ import annotations

import io
import zipfile

from services.referral.domain.documents import FileType

OOXML_MAIN = {
    FileType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    FileType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    FileType.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
OOXML_PART = {FileType.DOCX: "/word/document.xml", FileType.XLSX: "/xl/workbook.xml"}
OOXML_PART[FileType.PPTX] = "/ppt/presentation.xml"


def zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def ooxml(kind: FileType, text: str = "Report") -> bytes:
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'content-types"><Override PartName="{OOXML_PART[kind]}" '
        f'ContentType="{OOXML_MAIN[kind]}"/></Types>'
    )
    return zipped({"[Content_Types].xml": types.encode(), OOXML_PART[kind][1:]: text.encode()})


def odf(media_type: str, text: str = "Report") -> bytes:
    return zipped({"mimetype": media_type.encode(), "content.xml": text.encode()})


def sample(kind: FileType, text: str = "Report") -> bytes:
    """A document of type `kind` carrying `text`."""
    body = text.encode()
    if kind is FileType.PDF:
        return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + b"\n%%EOF\n"
    if kind is FileType.PNG:
        return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + body
    if kind is FileType.JPEG:
        return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + body + b"\xff\xd9"
    if kind in (FileType.DOC, FileType.XLS):
        return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + body
    if kind in OOXML_MAIN:
        return ooxml(kind, text)
    return odf(kind.media_type, text)


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(64) + b"This program cannot"
