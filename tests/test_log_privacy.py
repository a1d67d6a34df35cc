"""No personnummer and no message text in the application's logs over a whole journey (issue 9).

Every log record of every logger (root at DEBUG, werkzeug, sqlalchemy.engine, flask_appbuilder
included) is formatted as a log file would have it, with tracebacks, while a citizen submits an
application with a personnummer and a free-text answer, a handler searches for it and writes, the
citizen answers, the dispatcher sends the SMS through the log backend, the development server
serves a search, and a job fails on an SQL error whose parameter is a personnummer.
"""

from __future__ import annotations

import logging
import re
import threading
import urllib.request

import pytest
from personnummer import personnummer as pnr_lib
from sqlalchemy import select
from werkzeug.serving import make_server

from portal.auth.session import SESSION_KEY
from scheduler import jobs as scheduler_jobs
from shared.db import db
from shared.models import Case, CaseHandler, Channel, Citizen, NotificationEvent, OutboxMessage, Recipient
from shared.services import jobs
from tests import factories
from tests.backoffice.casehelp import sign_in
from tests.backoffice.conftest import backoffice_app, backoffice_overrides, bo  # noqa: F401  (fixtures)
from tests.portal.conftest import csrf_token, portal, portal_app, portal_overrides  # noqa: F401  (fixtures)

CITIZEN_PNR = "19850709-9805"
CHILD_PNR = "20000101-2384"
ANSWER_TEXT = "Allergisk mot jordnötter enligt journalen"
HANDLER_TEXT = "Vi behöver läkarintyget om jordnötsallergin"
REPLY_TEXT = "Intyget kommer med posten på fredag"
TEXTS = (ANSWER_TEXT, HANDLER_TEXT, REPLY_TEXT)
PNR_SHAPE = re.compile(r"\d{6,8}[-+]?\d{4}")
LOGGERS = ("", "werkzeug", "sqlalchemy", "sqlalchemy.engine", "flask_appbuilder", "etjanst")


def pnr_forms(pnr: str) -> set[str]:
    digits = pnr.replace("-", "")
    return {pnr, digits, digits[2:], f"{digits[2:8]}-{digits[8:]}"}


class Capture(logging.Handler):
    """Every record as a log file would have it (the message and the traceback)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, self.format(record)))


@pytest.fixture
def captured():
    handler = Capture()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
def world(bo, portal):  # noqa: F811  (the imported fixtures)
    hanna = factories.user("hanna", first_name="Hanna", last_name="Berg")
    eservice = factories.eservice(
        "Specialkost", slug="specialkost", handlers=[hanna], summary_fields=["namn", "personnummer", "ovrigt"]
    )
    factories.setting(eservice, NotificationEvent.MESSAGE_TO_APPLICANT, Recipient.APPLICANT, Channel.SMS)
    citizen = factories.citizen(
        CITIZEN_PNR, first_name="Maria", last_name="Öljung", phone="070-123 45 67", notify_by_sms=True
    )
    db.session.commit()
    return hanna, eservice, citizen


def portal_post(client, url: str, data: dict, page_url: str | None = None):
    page = client.get(page_url or url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token(page), **data})


def test_a_whole_journey_leaves_no_personnummer_or_message_text_in_the_logs(
    captured,
    world,
    bo,  # noqa: F811
    portal,  # noqa: F811
):
    hanna, eservice, citizen = world
    citizen_client = portal.test_client()
    with citizen_client.session_transaction() as session:
        session[SESSION_KEY] = citizen.id

    # The citizen applies, with a child's personnummer and a free-text answer.
    answers = {"namn": "Kalle Anka", "personnummer": CHILD_PNR, "skola": "alne", "ovrigt": ANSWER_TEXT}
    response = portal_post(citizen_client, "/e-tjanster/specialkost/ansokan", answers)
    assert response.status_code == 302, response.status_code
    summary_url = response.headers["Location"]
    while "sammanfattning" not in summary_url:  # one step in this form: straight to the summary
        summary_url = citizen_client.get(summary_url).headers["Location"]
    response = portal_post(citizen_client, summary_url, {"form-token": "privacy-1"})
    assert response.status_code == 302 and "/kvittens/" in response.headers["Location"]
    case = db.session.scalars(select(Case).where(Case.number.is_not(None))).one()
    assert case.personnummer == CITIZEN_PNR.replace("-", "")  # the applicant's, from the e-ID login
    db.session.add(CaseHandler(case_id=case.id, user_id=hanna.id))
    case.assigned = True
    db.session.commit()

    # The handler finds the case by the full personnummer and writes to the applicant.
    handler = bo.test_client()
    token = sign_in(handler, hanna)
    found = handler.get(f"/arenden/?tab=alla&q={CITIZEN_PNR}").get_data(as_text=True)
    assert f'data-case="{case.number}"' in found
    response = handler.post(f"/arenden/{case.id}/meddelanden", data={"csrf_token": token, "body": HANDLER_TEXT})
    assert response.status_code == 302

    # The citizen answers on Mina sidor.
    case_url = f"/mina-sidor/arenden/{case.id}"
    response = portal_post(citizen_client, f"{case_url}/meddelanden", {"body": REPLY_TEXT}, page_url=case_url)
    assert response.status_code == 302

    # The dispatcher sends the SMS through the log backend (and the e-mails to files).
    outcome = jobs.run("dispatch", scheduler_jobs.dispatch)
    assert outcome.state == "ok", outcome.error
    sms = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == Channel.SMS)).all()
    assert sms and all(row.sent_at is not None for row in sms)

    # The development server serves a search: its access log must not print the query.
    server = make_server("127.0.0.1", 0, bo, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for query in (CHILD_PNR, "Kalle+Anka"):
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/arenden/?q={query}") as answer:
                assert answer.status == 200  # the login page, after the redirect
    finally:
        server.shutdown()
        thread.join(timeout=10)

    # A job fails on an SQL error whose parameter is a personnummer (a second citizen row for it).
    def clash(now, dry_run=False):
        row = {"personnummer": CITIZEN_PNR.replace("-", ""), "notify_by_email": True, "notify_by_sms": False}
        db.session.execute(Citizen.__table__.insert().values(**row))

    outcome = jobs.run("privacy-probe", clash)
    assert outcome.state == "failed" and "IntegrityError" in (outcome.error or "")
    assert CITIZEN_PNR.replace("-", "") not in outcome.error  # Drift shows this text too

    lines = captured.lines
    text = "\n".join(line for _name, line in lines)
    # The capture saw the journey: SQL, the dev server, the SMS and the failed job.
    assert any(name.startswith("sqlalchemy.engine") and "SELECT" in line for name, line in lines)
    assert "[SQL parameters hidden due to hide_parameters=True]" in text
    # (werkzeug colours the request line of a redirect for a terminal: take the colours away)
    werkzeug_lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for name, line in lines if name == "werkzeug"]
    werkzeug_lines = [line for line in werkzeug_lines if '"GET /' in line]
    assert any("/arenden/" in line for line in werkzeug_lines), werkzeug_lines
    assert not any("?" in line.split('"GET ')[1].split('"')[0] for line in werkzeug_lines), werkzeug_lines
    assert re.search(r"SMS not sent \(SMS_BACKEND=log\) \[[0-9a-f-]{36}\]: \d+ characters", text)
    assert "job privacy-probe failed" in text and "IntegrityError" in text

    for pnr in (CITIZEN_PNR, CHILD_PNR):
        for form in pnr_forms(pnr):
            assert form not in text, f"{form} is in the log"
    leaks = [m.group(0) for m in PNR_SHAPE.finditer(text) if pnr_lib.valid(m.group(0))]
    assert leaks == [], leaks
    for phone in ("070-123 45 67", "+46701234567", "0701234567"):  # the SMS's number
        assert phone not in text, f"{phone} is in the log"
    for message in TEXTS:
        assert message not in text, f"{message!r} is in the log"
    assert "Kalle" not in "\n".join(line for name, line in lines if name == "werkzeug")
