"""Files: storage on disk, real-type sniffing, handlings, supplements and download receipts."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from shared import notify, storage
from shared.db import db
from shared.errors import Invalid, NotAllowed, NotFound
from shared.models import AuditEntry, Document, DocumentSource, NotificationEvent, Recipient, StatusKind
from shared.services import documents
from tests import factories
from tests.factories import addresses, outbox


def zip_bytes(files: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if stored_first:
            archive.writestr(zipfile.ZipInfo(stored_first), files.pop(stored_first))
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = zip_bytes(
    {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}, stored_first="mimetype"
)
DOCM = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", "word/vbaProject.bin": b"\x00"})


# -- storage --------------------------------------------------------------------------------


def test_storage_writes_random_sharded_names_and_measures_while_writing(ctx):
    data = os.urandom(200_000)
    stored = storage.save(io.BytesIO(data))
    assert stored.size == len(data) and stored.sha256 == hashlib.sha256(data).hexdigest()
    path = Path(ctx.config["UPLOAD_DIR"]) / stored.key[:2] / stored.key[2:4] / stored.key
    assert path.read_bytes() == data
    with storage.open(stored.key) as handle:
        assert handle.read() == data
    assert storage.save(b"x").key != stored.key
    storage.delete(stored.key)
    assert not path.exists()
    storage.delete(stored.key)  # already gone: no error
    with pytest.raises(ValueError):
        storage.open("../../etc/passwd")


def test_storage_refuses_a_stream_past_the_limit_and_keeps_nothing(ctx):
    folder = Path(ctx.config["UPLOAD_DIR"])
    before = {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()
    with pytest.raises(storage.FileTooLarge):
        storage.save(io.BytesIO(b"x" * 5000), max_bytes=4096)
    assert {p for p in folder.rglob("*") if p.is_file()} == before


def test_files_follow_the_transaction(ctx):
    kept = storage.save(b"kept")
    db.session.commit()
    assert storage.exists(kept.key)
    orphan = storage.save(b"orphan")
    storage.delete_after_commit(kept.key)
    db.session.rollback()
    assert not storage.exists(orphan.key)  # written in a transaction that rolled back
    assert storage.exists(kept.key)  # its deletion was rolled back too
    storage.delete_after_commit(kept.key)
    assert storage.exists(kept.key)
    db.session.commit()
    assert not storage.exists(kept.key)


# -- the real type --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (factories.PDF_BYTES, "a.pdf", documents.PDF),
        (factories.PNG_BYTES, "a.png", documents.PNG),
        (factories.JPEG_BYTES, "a.jpg", documents.JPEG),
        (b"GIF89a" + b"\x00" * 20, "a.gif", documents.GIF),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "a.heic", documents.HEIC),
        (DOCX, "a.docx", documents.DOCX),
        (XLSX, "a.xlsx", documents.XLSX),
        (ODT, "a.odt", documents.ODT),
        ("Hej, åäö\n".encode(), "a.txt", documents.TXT),
        ("namn;skola\nKalle;Alne\n".encode("cp1252"), "elever.csv", documents.CSV),
        (b"MZ\x90\x00" + b"\x00" * 60, "a.pdf", None),  # a Windows program named .pdf
        # Markup is not text: web pages, SVG and XML are refused whatever their name.
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "sida.html", None),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "bild.svg", None),
        (b'\xef\xbb\xbf\n  <?xml version="1.0"?><svg/>', "bild.txt", None),
        (b"  <html><body>Intyg</body></html>", "intyg.pdf", None),
        (b"Hej!\n<script>alert(1)</script>\n", "hej.txt", None),
        ("Jag <3 skolan; 2 < 3, åäö och <ej ifyllt>\n".encode(), "a.txt", documents.TXT),  # a < is no markup
        (factories.PDF_BYTES + b"<html><script>1</script></html>", "a.pdf", documents.PDF),  # a PDF all the same
        (DOCM, "a.docx", None),  # macros
        (zip_bytes({"a.txt": b"x"}), "a.docx", None),  # a plain zip
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "a.doc", None),  # old Office
    ],
)
def test_the_real_type_is_read_from_the_bytes(data, name, expected):
    assert documents.sniff_content_type(io.BytesIO(data), name) == expected


def test_file_names_are_cleaned_for_display():
    assert documents.clean_filename("C:\\Users\\x\\intyg.PDF", documents.PDF) == "intyg.PDF"
    assert documents.clean_filename("../../etc/passwd", documents.TXT) == "passwd.txt"
    assert documents.clean_filename("faktura\u202efdp.exe", documents.PDF) == "fakturafdp.exe.pdf"
    assert documents.clean_filename("", documents.PNG) == "file.png"
    assert len(documents.clean_filename("x" * 400 + ".pdf", documents.PDF)) == 255


# -- handlings and supplements ------------------------------------------------------------------


@pytest.fixture
def case(world):
    notify.default_notification_settings(world.eservice)
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna])
    db.session.commit()
    return case


def test_handler_adds_a_document_and_its_type_comes_from_the_bytes(world, case):
    document = documents.add_document(
        case.id, "beslut.exe", factories.PDF_BYTES, "application/x-msdownload", actor=world.olle
    )
    assert (document.content_type, document.filename, document.source) == (
        documents.PDF,
        "beslut.exe.pdf",
        DocumentSource.HANDLER,
    )
    assert document.size == len(factories.PDF_BYTES) and storage.exists(document.storage_key)
    assert [e.kind for e in case.events] == ["document_added"]
    with pytest.raises(NotFound):
        documents.add_document(case.id, "x.pdf", factories.PDF_BYTES, "application/pdf", actor=world.outsider)
    with pytest.raises(Invalid):
        documents.add_document(case.id, "x.pdf", b"", "application/pdf", actor=world.olle)


def test_upload_size_limit(world, case, monkeypatch):
    monkeypatch.setitem(world_app_config(), "MAX_UPLOAD_MB", 1)
    with pytest.raises(Invalid) as error:
        documents.add_document(
            case.id, "stor.pdf", b"%PDF-" + b"0" * (1024 * 1024), "application/pdf", actor=world.hanna
        )
    assert "1 MB" in str(error.value)
    assert db.session.scalars(select(Document)).all() == []


def world_app_config():
    from flask import current_app

    return current_app.config


def test_documents_switched_off(world, case):
    world.eservice.documents_enabled = False
    db.session.commit()
    with pytest.raises(NotAllowed):
        documents.add_document(case.id, "x.pdf", factories.PDF_BYTES, "application/pdf", actor=world.hanna)


def test_applicant_supplements_only_when_the_status_asks_for_it(world, case):
    with pytest.raises(NotAllowed):
        documents.add_document(case.id, "intyg.pdf", factories.PDF_BYTES, "application/pdf", citizen=world.citizen)
    case.status = factories.status(world.eservice, StatusKind.WAITING)
    db.session.commit()
    document = documents.add_document(
        case.id, "intyg.pdf", factories.PDF_BYTES, "application/pdf", citizen=world.citizen
    )
    assert document.is_supplement and document.source == DocumentSource.APPLICANT
    [row] = outbox(NotificationEvent.SUPPLEMENT)
    assert row.recipient_address == "hanna@example.org" and "intyg.pdf" in row.body
    with pytest.raises(NotFound):
        documents.add_document(
            case.id, "x.pdf", factories.PDF_BYTES, "application/pdf", citizen=factories.citizen("196408233234")
        )


# -- downloads and receipts ----------------------------------------------------------------------


def test_handler_downloading_the_applicants_file_gives_one_receipt(world, case):
    for setting in world.eservice.notification_settings:
        if setting.event == NotificationEvent.FILE_DOWNLOADED:
            setting.enabled = True
    factories.setting(world.eservice, NotificationEvent.FILE_DOWNLOADED, Recipient.APPLICANT)
    case.status = factories.status(world.eservice, StatusKind.WAITING)
    case.handlers.append(factories.CaseHandler(user=world.olle))
    db.session.commit()
    upload = documents.add_document(case.id, "intyg.pdf", factories.PDF_BYTES, "application/pdf", citizen=world.citizen)
    document, handle = documents.download_document(upload.id, actor=world.hanna)
    with handle:
        assert handle.read() == factories.PDF_BYTES
    documents.download_document(upload.id, actor=world.hanna)[1].close()
    assert [e.kind for e in case.events].count("document_downloaded") == 1
    assert addresses(NotificationEvent.FILE_DOWNLOADED) == {"maria@example.org", "olle@example.org"}
    views = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "document_downloaded")).all()
    assert len(views) == 2  # every download is in the audit log


def test_applicant_downloading_a_handlers_file_tells_the_uploader(world, case):
    for setting in world.eservice.notification_settings:
        if setting.event == NotificationEvent.FILE_DOWNLOADED and str(setting.channel) == "email":
            setting.enabled = True
    case.handlers.append(factories.CaseHandler(user=world.olle))
    db.session.commit()
    upload = documents.add_document(case.id, "tidtabell.pdf", factories.PDF_BYTES, "application/pdf", actor=world.olle)
    documents.download_document(upload.id, citizen=world.citizen)[1].close()
    assert addresses(NotificationEvent.FILE_DOWNLOADED) == {"olle@example.org"}


def test_download_reveals_nothing_to_those_who_may_not_see_the_case(world, case):
    upload = documents.add_document(case.id, "beslut.pdf", factories.PDF_BYTES, "application/pdf", actor=world.hanna)
    with pytest.raises(NotFound) as missing:
        documents.download_document(987654, actor=world.hanna)
    for kwargs in (
        {"actor": world.outsider},
        {"actor": world.builder},
        {"citizen": factories.citizen("196408233234")},
        {},
    ):
        with pytest.raises(NotFound) as error:
            documents.download_document(upload.id, **kwargs)
        assert str(error.value) == str(missing.value)  # the same answer as for a document that does not exist
