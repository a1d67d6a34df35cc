"""Hostile uploads in a real browser (issue 9, item 1: uploaded files are served only as attachments with a
safe content type, never rendered inline as HTML or SVG).

- An HTML page, an SVG image with scripts and an HTML page named .pdf are refused by the portal's forms
  (a message's attachments on Mina sidor, a file question in an application) with the reason in Swedish,
  and what the citizen typed is still there.
- A PDF that carries a web page in its body (a polyglot) passes the sniffing, since it is a PDF. The handler
  who clicks it in the back office, and the citizen who clicks it on Mina sidor, get a download: the page
  stays where it was, none of its script runs, and the answer says attachment, nosniff and application/pdf.

The browser here ignores Content-Security-Policy headers, as in test_xss_browser.py: what is tested is how
the file is served, not the policy that would be a second fence.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from shared.db import db
from shared.models import Document, Message
from tests import factories
from tests.browser.conftest import DESKTOP_VIEWPORT, new_page

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, under CI, fails) and says why
    PlaywrightError, expect = Exception, None

SCRIPT = "window.__pwned = 1; document.title = 'pwned'; alert('pwned')"
HOSTILE = [
    ("sida.html", "text/html", f"<!DOCTYPE html><html><body><script>{SCRIPT}</script></body></html>".encode()),
    (
        "bild.svg",
        "image/svg+xml",
        f'<svg xmlns="http://www.w3.org/2000/svg" onload="{SCRIPT}"><script>{SCRIPT}</script></svg>'.encode(),
    ),
    ("intyg.pdf", "application/pdf", f"<html><head><title>Intyg</title></head><script>{SCRIPT}</script>".encode()),
]
# A real PDF header, then a web page: a PDF reader shows an empty document, a browser that rendered it
# as HTML would run the script.
POLYGLOT_NAME = "polyglot.pdf"
POLYGLOT = (
    b"%PDF-1.4\n"
    + f"<html><head><title>pwned</title></head><body><script>{SCRIPT}</script></body></html>\n".encode()
    + b"1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
)

TYPE_REFUSED = (
    "Filtypen är inte tillåten. Du kan bifoga PDF, JPEG, PNG, GIF, HEIC, Word (docx), Excel (xlsx), "
    "OpenDocument-text (odt), text- och CSV-filer."
)
MESSAGE_KEPT = "Välj filerna igen; ditt meddelande finns kvar."
BODY = "Hej! Här är underlaget.\nMvh Maria"

DEFINITION = {
    "steps": [
        {
            "id": "underlag",
            "title": "Underlag",
            "questions": [
                {"id": "namn", "type": "text", "label": "Namn", "required": True},
                {"id": "ovrigt", "type": "textarea", "label": "Övrigt"},
                # No content_types: the default list, which takes text files, so it is the sniffing that says no.
                {"id": "bilaga", "type": "file", "label": "Bilaga"},
            ],
        }
    ]
}


@pytest.fixture
def page(browser):
    """A desktop page that does not apply Content-Security-Policy headers."""
    with new_page(browser, viewport=DESKTOP_VIEWPORT, bypass_csp=True) as desktop:
        yield desktop


def _case():
    hanna = factories.user("hanna", first_name="Hanna", last_name="Berg")
    maria = factories.citizen("19850709-9805")
    eservice = factories.eservice("Bidrag till resor", slug="resebidrag", definition=DEFINITION, handlers=[hanna])
    case = factories.case(eservice, citizen=maria, users=[hanna], answers={"namn": "Maria Öljung"})
    db.session.commit()
    return eservice, case, hanna, maria


def _file(name: str, mime: str, data: bytes) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def _dialogs(page) -> list[str]:
    """Every dialog the page opens (alert, confirm, prompt), dismissed and remembered."""
    seen: list[str] = []

    def dismiss(dialog) -> None:
        seen.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", dismiss)
    return seen


def _case_documents(case_id: int) -> list[Document]:
    db.session.expire_all()
    found = db.session.scalars(select(Document).where(Document.case_id == case_id)).all()
    db.session.commit()  # no read transaction of ours stays open while the live server writes
    return list(found)


def test_html_and_svg_uploads_are_refused_and_what_was_typed_is_kept(live, page, citizen_login):
    eservice, case, _hanna, maria = _case()
    dialogs = _dialogs(page)
    citizen_login(page, maria)

    # Mina sidor: a message to the handler with each hostile file attached.
    page.goto(f"{live.url}/mina-sidor/arenden/{case.id}")
    for name, mime, data in HOSTILE:
        page.get_by_label("Ditt meddelande till handläggaren").fill(BODY)
        page.set_input_files("#attachments", [_file(name, mime, data)])
        page.get_by_role("button", name="Skicka meddelande").click()
        expect(page.locator("#attachments-error")).to_have_text(f"{TYPE_REFUSED} {MESSAGE_KEPT}")
        expect(page.locator("#fel")).to_contain_text(TYPE_REFUSED)
        expect(page.locator("#attachments")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("Ditt meddelande till handläggaren")).to_have_value(BODY)
        page.get_by_label("Ditt meddelande till handläggaren").fill("")  # typed again on the next round
    db.session.expire_all()
    assert db.session.scalars(select(Message).where(Message.case_id == case.id)).all() == []
    db.session.commit()

    # An application: a file question that takes text files, and the answers typed beside it.
    page.goto(f"{live.url}/e-tjanster/{eservice.slug}/ansokan")
    for name, mime, data in HOSTILE:
        page.get_by_label("Namn").fill("Maria Öljung")
        page.get_by_label("Övrigt").fill("Resor till och från skolan.")
        page.set_input_files("#q-bilaga", [_file(name, mime, data)])
        page.get_by_role("button", name="Nästa", exact=True).click()
        expect(page.locator("#q-bilaga-error")).to_contain_text(
            re.compile(
                rf"Filen {re.escape(name)} kan inte bifogas eftersom filtypen inte är tillåten här\. Du kan bifoga PDF, "
            )
        )
        expect(page.locator("#q-bilaga")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("Namn")).to_have_value("Maria Öljung")
        expect(page.get_by_label("Övrigt")).to_have_value("Resor till och från skolan.")
    assert _case_documents(case.id) == []

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not dialogs


def _assert_served_as_attachment(page, url: str) -> None:
    """The download's own answer, fetched with the page's cookies: an attachment the browser may not sniff."""
    answer = page.request.get(url)
    assert answer.status == 200, (url, answer.status)
    headers = answer.headers
    assert re.match(r"attachment\s*;", headers["content-disposition"]), headers["content-disposition"]
    assert POLYGLOT_NAME in headers["content-disposition"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-type"].split(";")[0].strip() == "application/pdf", headers["content-type"]
    assert "no-store" in headers["cache-control"]
    assert answer.body() == POLYGLOT


def _click_downloads(page, link, dialogs: list[str]) -> str:
    """Click the document's link: a download starts, the page stays as it was and runs nothing; returns its URL."""
    url_before, title_before = page.url, page.title()
    href = link.get_attribute("href")
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert download.suggested_filename == POLYGLOT_NAME
    assert Path(download.path()).read_bytes() == POLYGLOT
    # Opened straight from the address bar, without the link's download attribute: a download too.
    with page.expect_download() as again, contextlib.suppress(PlaywrightError):
        page.goto(download.url)  # Playwright's goto says "Download is starting": no page was loaded
    assert again.value.suggested_filename == POLYGLOT_NAME
    assert (page.url, page.title()) == (url_before, title_before)
    assert page.title() != "pwned"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not dialogs, dialogs
    assert download.url.endswith(href)
    return download.url


def test_a_polyglot_pdf_is_downloaded_never_rendered(live, page, citizen_login, staff_login):
    _eservice, case, hanna, maria = _case()
    dialogs = _dialogs(page)

    # The citizen sends it through the message form: the sniffing takes it for the PDF it also is.
    citizen_login(page, maria)
    page.goto(f"{live.url}/mina-sidor/arenden/{case.id}")
    page.get_by_label("Ditt meddelande till handläggaren").fill("Här är intyget.")
    page.set_input_files("#attachments", [_file(POLYGLOT_NAME, "application/pdf", POLYGLOT)])
    page.get_by_role("button", name="Skicka meddelande").click()
    expect(page.locator(".flashes")).to_contain_text("Ditt meddelande är skickat.")
    [document] = _case_documents(case.id)
    assert (document.filename, document.content_type) == (POLYGLOT_NAME, "application/pdf")

    # Her own copy on Mina sidor, under Handlingar.
    page.goto(f"{live.url}/mina-sidor/arenden/{case.id}")
    link = page.locator(".mp-documents").get_by_role("link", name=POLYGLOT_NAME)
    url = _click_downloads(page, link, dialogs)
    assert url.endswith(f"/mina-sidor/dokument/{document.id}")
    _assert_served_as_attachment(page, url)

    # The handler, on the case's Handlingar tab in the back office.
    staff_login(page, hanna.username)
    page.goto(f"{live.admin}/arenden/{case.id}/handlingar")
    link = page.locator("table.bo-documents").get_by_role("link", name=POLYGLOT_NAME)
    url = _click_downloads(page, link, dialogs)
    assert url.endswith(f"/admin/arenden/{case.id}/handlingar/{document.id}")
    _assert_served_as_attachment(page, url)
