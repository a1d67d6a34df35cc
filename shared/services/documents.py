"""Documents (handlingar) on a case: uploads from either side, supplements, downloads with receipts.

The file's real type is read from its bytes (magic numbers), never taken from the name or
the browser's claim; only the types on the allow-list are kept. The name is cleaned for
display only: on disk a file has a random key (shared.storage).
"""

from __future__ import annotations

import os
import re
import unicodedata
import zipfile
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from shared import notify, storage
from shared.db import db, transactional
from shared.errors import Invalid, NotFound
from shared.models import (
    Case,
    CaseEvent,
    Citizen,
    Document,
    DocumentSource,
    Message,
    NotificationEvent,
    StaffUser,
)
from shared.services import access, audit, events

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
GIF = "image/gif"
HEIC = "image/heic"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
TXT = "text/plain"
CSV = "text/csv"

# The allow-list: content type -> extensions (the first is added to a name that lacks one).
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
    GIF: (".gif",),
    HEIC: (".heic", ".heif"),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    ODT: (".odt",),
    TXT: (".txt",),
    CSV: (".csv",),
}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"heif"}
_TEXT_CONTROLS_OK = {9, 10, 12, 13}  # tab, newline, form feed, carriage return
# Text that is really a web page, an SVG image or XML: refused, not kept as text/plain. It is served as a
# plain-text attachment anyway, but the allow-list means text and CSV, and markup is where scripts hide
# (a browser or viewer that sniffs, a handler who saves it as .html or .svg and opens it).
_MARKUP_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<[!?/a-z]", re.IGNORECASE)
_ACTIVE_MARKUP = re.compile(rb"<(?:!doctype\s+html|html|svg|script|iframe|object|embed)[\s/>]", re.IGNORECASE)
MAX_NAME = 255


def document_not_found() -> NotFound:
    """The one answer for a document that does not exist or may not be seen."""
    return NotFound(_("The document was not found."))


def _type_not_allowed() -> Invalid:
    message = _(
        "The file type is not allowed. You can attach PDF, JPEG, PNG, GIF, HEIC, Word (docx), "
        "Excel (xlsx), OpenDocument text (odt), text and CSV files."
    )
    return Invalid(message, errors={"file": message})


def _sniff_zip(handle: BinaryIO) -> str | None:
    try:
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return None  # a macro document dressed as docx/xlsx
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return DOCX
            if "xl/workbook.xml" in names and "[Content_Types].xml" in names:
                return XLSX
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    if member.read(100).strip() == ODT.encode():
                        return ODT
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return None
    return None


def _is_markup(sample: bytes) -> bool:
    return bool(_MARKUP_START.match(sample) or _ACTIVE_MARKUP.search(sample))


def _looks_like_text(sample: bytes) -> bool:
    if any(byte < 32 and byte not in _TEXT_CONTROLS_OK for byte in sample) or b"\x7f" in sample:
        return False
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as error:
        if error.start >= len(sample) - 3:
            return True  # a character cut at the end of the sample
    try:
        sample.decode("cp1252")  # Excel's Swedish CSV export
        return True
    except UnicodeDecodeError:
        return False


def sniff_content_type(handle: BinaryIO, filename: str = "", declared: str = "") -> str | None:
    """The file's real type among the allowed ones, read from its first bytes; None if not allowed."""
    handle.seek(0)
    head = handle.read(8192)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    if head.startswith(b"PK\x03\x04"):
        handle.seek(0)
        return _sniff_zip(handle)
    if head and _looks_like_text(head) and not _is_markup(head):
        is_csv = filename.lower().endswith(".csv") or declared.split(";")[0].strip().lower() == CSV
        return CSV if is_csv else TXT
    return None


def clean_filename(name: str | None, content_type: str) -> str:
    """A file name safe to show: no folders, no control or direction characters, the right extension."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc/Cf include U+202E (right-to-left override), used to disguise "exe.pdf" as "fdp.exe".
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split()).strip(" .")
    extensions = ALLOWED_TYPES.get(content_type, ("",))
    stem, ext = os.path.splitext(text)
    if ext.lower() not in extensions:
        stem, ext = (text or _("file")), extensions[0]
    stem = stem or _("file")
    return stem[: MAX_NAME - len(ext)] + ext


def store_document(
    case: Case,
    filename: str,
    data: bytes | BinaryIO,
    content_type: str,
    *,
    source: DocumentSource,
    user: StaffUser | None = None,
    citizen: Citizen | None = None,
    message: Message | None = None,
    question_id: str | None = None,
    is_supplement: bool = False,
) -> Document:
    """Check and keep one file on a case (size, real type, clean name); flushes, never commits."""
    limit_mb = int(current_app.config.get("MAX_UPLOAD_MB", 20))
    shown_name = str(filename or "")[:MAX_NAME]
    try:
        stored = storage.save(data, max_bytes=limit_mb * 1024 * 1024)
    except storage.FileTooLarge:
        message_text = _(
            "The file %(name)s is too large; files may be at most %(max)d MB.", name=shown_name, max=limit_mb
        )
        raise Invalid(message_text, errors={"file": message_text}) from None
    if stored.size == 0:
        storage.delete(stored.key)
        message_text = _("The file %(name)s is empty.", name=shown_name)
        raise Invalid(message_text, errors={"file": message_text})
    with storage.open(stored.key) as handle:
        real_type = sniff_content_type(handle, shown_name, content_type or "")
    if real_type is None:
        storage.delete(stored.key)
        raise _type_not_allowed()
    document = Document(
        case=case,
        message=message,
        question_id=question_id,
        source=source,
        is_supplement=is_supplement,
        filename=clean_filename(filename, real_type),
        storage_key=stored.key,
        content_type=real_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_user_id=user.id if user is not None else None,
        uploaded_by_citizen_id=citizen.id if citizen is not None else None,
    )
    db.session.add(document)
    db.session.flush()
    return document


def discard_documents(documents: list[Document]) -> None:
    """Remove documents and, once committed, their files; flushes, never commits."""
    for document in documents:
        storage.delete_after_commit(document.storage_key)
        db.session.delete(document)
    db.session.flush()


@transactional
def add_document(
    case_id: int,
    filename: str,
    data: bytes | BinaryIO,
    content_type: str,
    *,
    actor: StaffUser | None = None,
    citizen: Citizen | None = None,
) -> Document:
    """Attach a file to a case: a handler's handling, a form attachment on a draft, or an applicant's supplement."""
    case = db.session.get(Case, case_id)
    supplement = False
    if actor is not None:
        access.require(actor, "add_document", case)
        source = DocumentSource.HANDLER
    elif citizen is not None:
        access.require_citizen(citizen, "view", case)
        if not case.is_draft:
            access.require_citizen(citizen, "add_supplement", case)
            supplement = True
        source = DocumentSource.APPLICANT
    else:
        denial = access.anonymous_draft_denial(case)
        if denial is not None:
            raise denial
        source = DocumentSource.APPLICANT
    document = store_document(
        case, filename, data, content_type, source=source, user=actor, citizen=citizen, is_supplement=supplement
    )
    if supplement:
        events.record(case, "supplement_added", citizen=citizen, document_id=document.id, filename=document.filename)
        audit.record("supplement_added", citizen=citizen, obj=document, case=case)
        notify.queue(case, NotificationEvent.SUPPLEMENT, actor=citizen, extra={"filename": document.filename})
        case.updated_at = document.created_at
    elif not case.is_draft:
        events.record(case, "document_added", user=actor, document_id=document.id, filename=document.filename)
        audit.record("document_added", user=actor, obj=document, case=case)
        case.updated_at, case.updated_by_id = document.created_at, actor.id
    else:  # a form attachment on a draft: no case history yet, but logged
        audit.record("draft_attachment_added", citizen=citizen, obj=document, case=case)
    return document


def _downloaded_before(document: Document, *, user: StaffUser | None, citizen: Citizen | None) -> bool:
    query = select(CaseEvent.data).where(CaseEvent.case_id == document.case_id, CaseEvent.kind == "document_downloaded")
    if user is not None:
        query = query.where(CaseEvent.actor_user_id == user.id)
    else:
        query = query.where(CaseEvent.actor_citizen_id == citizen.id)
    return any((data or {}).get("document_id") == document.id for data in db.session.scalars(query))


@transactional
def download_document(
    document_id: int, *, actor: StaffUser | None = None, citizen: Citizen | None = None
) -> tuple[Document, BinaryIO]:
    """Open a case's document for the handler or the applicant; the first download gives a receipt (kvittens)."""
    document = db.session.get(Document, document_id)
    case = document.case if document is not None else None
    try:
        if actor is not None:
            # A subtask's responsible may open the documents it grants, and no others (F-SUB-1).
            if not access.granted_by_subtask(actor, document):
                access.require(actor, "download_document", case)
        elif citizen is not None:
            access.require_citizen(citizen, "download_document", case)
        else:
            denial = access.anonymous_draft_denial(case)
            if denial is not None:
                raise denial
    except NotFound:
        raise document_not_found() from None
    assert document is not None and case is not None
    first_time = (actor is not None or citizen is not None) and not _downloaded_before(
        document, user=actor, citizen=citizen
    )
    audit.record("document_downloaded", user=actor, citizen=citizen, obj=document, case=case)
    receipt = {"document_id": document.id, "filename": document.filename}
    if first_time and actor is not None and document.source == DocumentSource.APPLICANT and not case.is_draft:
        # A handler opened the applicant's file: the receipt goes where the settings say.
        events.record(case, "document_downloaded", user=actor, **receipt)
        notify.queue(case, NotificationEvent.FILE_DOWNLOADED, actor=actor, extra={"filename": document.filename})
    elif first_time and citizen is not None and document.source == DocumentSource.HANDLER:
        # The applicant opened a handler's file: the receipt goes to the one who uploaded it.
        events.record(case, "document_downloaded", citizen=citizen, **receipt)
        uploader = db.session.get(StaffUser, document.uploaded_by_user_id) if document.uploaded_by_user_id else None
        notify.queue(
            case,
            NotificationEvent.FILE_DOWNLOADED,
            actor=citizen,
            applicant=False,
            recipients_override=[uploader] if uploader is not None else None,
            extra={"filename": document.filename},
        )
    try:
        handle = storage.open(document.storage_key)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the archive. Contact the system administrator.")) from None
    return document, handle
