"""Handlingar: upload with type and size limits, download, and the download receipt."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from shared.db import db
from shared.models import CaseEvent, Document, DocumentSource
from shared.services import documents
from tests import factories
from tests.backoffice.casehelp import make_setup, sign_in, text_of


def _documents(case) -> list[Document]:
    db.session.expire_all()
    return list(db.session.scalars(select(Document).where(Document.case_id == case.id).order_by(Document.id)))


def _upload(client, case, token, *files):
    return client.post(
        f"/arenden/{case.id}/handlingar",
        data={"csrf_token": token, "file": [(io.BytesIO(data), name) for name, data in files]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_upload_documents(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    response = _upload(
        client, setup.case, token, ("Beslut skolskjuts.pdf", factories.PDF_BYTES), ("karta.png", factories.PNG_BYTES)
    )
    assert response.status_code == 200
    stored = _documents(setup.case)
    assert [(d.filename, d.content_type, d.source) for d in stored] == [
        ("Beslut skolskjuts.pdf", "application/pdf", DocumentSource.HANDLER),
        ("karta.png", "image/png", DocumentSource.HANDLER),
    ]
    assert "Beslut skolskjuts.pdf" in text_of(response) and "Hanna Berg" in text_of(response)
    kinds = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == setup.case.id)).all()
    assert kinds.count("document_added") == 2


def test_a_program_renamed_to_pdf_is_refused(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    response = _upload(client, setup.case, token, ("intyg.pdf", program))
    assert response.status_code == 200
    assert "Filtypen är inte tillåten." in text_of(response)
    assert _documents(setup.case) == []


def test_a_file_over_the_size_limit_is_refused(client, bo):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    limit = bo.config["MAX_UPLOAD_MB"]
    bo.config["MAX_UPLOAD_MB"] = 1
    try:
        big = factories.PDF_BYTES + b"0" * (1024 * 1024 + 10)
        response = _upload(client, setup.case, token, ("stor.pdf", big))
    finally:
        bo.config["MAX_UPLOAD_MB"] = limit
    assert "Filen stor.pdf är för stor. En fil får vara högst 1 MB." in text_of(response)
    assert _documents(setup.case) == []


def test_uploading_nothing_says_so(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    response = client.post(f"/arenden/{setup.case.id}/handlingar", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert _documents(setup.case) == []


def test_a_handler_downloading_the_applicants_file_leaves_a_receipt(client):
    setup = make_setup()
    world = setup.world
    document = documents.store_document(
        setup.case,
        "läkarintyg.pdf",
        factories.PDF_BYTES,
        "application/pdf",
        source=DocumentSource.APPLICANT,
        citizen=world.citizen,
    )
    db.session.commit()
    sign_in(client, world.hanna)
    assert "läkarintyg.pdf" in text_of(client.get(f"/arenden/{setup.case.id}/handlingar"))
    url = f"/arenden/{setup.case.id}/handlingar/{document.id}"
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200
        assert response.data == factories.PDF_BYTES
        assert response.headers["Content-Type"] == "application/pdf"
        assert "attachment" in response.headers["Content-Disposition"]
    receipts = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == setup.case.id, CaseEvent.kind == "document_downloaded")
    ).all()
    assert len(receipts) == 1  # the first download gives the receipt
    assert receipts[0].actor_user_id == world.hanna.id and receipts[0].data["filename"] == "läkarintyg.pdf"


def test_a_document_is_found_only_under_its_own_case(client):
    setup = make_setup()
    document = documents.store_document(
        setup.other_case, "ritning.pdf", factories.PDF_BYTES, "application/pdf", source=DocumentSource.HANDLER
    )
    db.session.commit()
    sign_in(client, setup.world.admin)
    assert client.get(f"/arenden/{setup.case.id}/handlingar/{document.id}").status_code == 404
    assert client.get(f"/arenden/{setup.other_case.id}/handlingar/{document.id}").status_code == 200
    receipts = db.session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "document_downloaded")
    )
    assert receipts == 0  # a handler's own file gives no receipt


def test_documents_switched_off_means_no_upload(client):
    setup = make_setup()
    setup.world.eservice.documents_enabled = False
    db.session.commit()
    token = sign_in(client, setup.world.hanna)
    assert 'name="file"' not in client.get(f"/arenden/{setup.case.id}/handlingar").get_data(as_text=True)
    response = client.post(
        f"/arenden/{setup.case.id}/handlingar",
        data={"csrf_token": token, "file": [(io.BytesIO(factories.PDF_BYTES), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert _documents(setup.case) == []
