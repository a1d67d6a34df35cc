"""The application as PDF (F-CASE-7): the text extracted from it holds the answers, å ä ö intact."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from shared.db import db
from shared.models import AuditEntry, DocumentSource
from shared.services import documents
from tests import factories
from tests.backoffice.casehelp import make_setup, sign_in


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_holds_the_header_and_every_answer(client):
    setup = make_setup()
    case = setup.case
    case.external_number = "BUN 2026/311"
    documents.store_document(
        case,
        "läkarintyg från vårdcentralen.pdf",
        factories.PDF_BYTES,
        "application/pdf",
        source=DocumentSource.APPLICANT,
        citizen=setup.world.citizen,
    )
    db.session.commit()
    sign_in(client, setup.world.hanna)
    response = client.get(f"/arenden/{case.id}/pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert f'filename="arende-{case.number}.pdf"' in response.headers["Content-Disposition"]
    assert response.data.startswith(b"%PDF-")
    text = _text(response.data)
    for expected in [
        str(case.number),
        "Skolskjuts",
        "Maria Öljung",  # submitted by
        "Inskickat",  # status
        "BUN 2026/311",
        "Sökande",  # the step's title
        "Namn",
        "Åsa Öberg-Ärlig",
        "Personnummer",
        "19850709-9805",
        "Skola",
        "Alneskolan",  # the option's label, not its value
        "Behöver hämtas vid grinden på Västra vägen.",
        "läkarintyg från vårdcentralen.pdf",
        "Hanna Berg",  # printed by
    ]:
        assert expected in text, expected


def test_printing_is_logged(client):
    setup = make_setup()
    sign_in(client, setup.world.olle)
    assert client.get(f"/arenden/{setup.case.id}/pdf").status_code == 200
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.case_id == setup.case.id, AuditEntry.action == "case_printed")
    )
    assert entry is not None and entry.username == "olle"


def test_a_long_application_runs_over_several_pages(client):
    setup = make_setup()
    case = setup.case
    case.answers = dict(case.answers, ovrigt="Lång beskrivning med åäö. " * 400)
    db.session.commit()
    sign_in(client, setup.world.hanna)
    response = client.get(f"/arenden/{case.id}/pdf")
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) > 1
    assert "Lång beskrivning med åäö." in reader.pages[-1].extract_text()


def test_only_those_who_see_the_case_get_its_pdf(client):
    setup = make_setup()
    sign_in(client, setup.world.outsider)
    assert client.get(f"/arenden/{setup.case.id}/pdf").status_code == 404
