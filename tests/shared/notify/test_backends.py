"""The channels' backends through the dispatcher: files for development, an SMS gateway, the log, Mina sidor."""

from __future__ import annotations

import base64
import threading
import uuid
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select

from shared import clock
from shared.db import db
from shared.models import Channel, OutboxMessage, OutboxState, PortalNotice
from shared.notify import backends, dispatch
from shared.notify.backends import Outgoing, PermanentFailure, build_email, e164


def _row(channel: Channel, address: str | None = None, *, citizen_id: int | None = None, **kwargs) -> OutboxMessage:
    row = OutboxMessage(
        event="status_changed",
        channel=channel,
        recipient_address=address,
        recipient_citizen_id=citizen_id,
        subject=kwargs.pop("subject", "Ditt ärende 17 har fått ny status" if channel != Channel.SMS else None),
        body=kwargs.pop("body", "Hej!\n\nDitt ärende 17 har nu status: Klart.\n\nMina sidor: https://e.example.se/17"),
        link=kwargs.pop("link", "https://e.example.se/17"),
        **kwargs,
    )
    db.session.add(row)
    db.session.commit()
    return row


def _state(row_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, row_id)


# -- e-mail ------------------------------------------------------------------------------------


def test_the_file_backend_writes_one_eml_per_notification_named_by_its_uuid(ctx, monkeypatch, tmp_path):
    monkeypatch.setitem(ctx.config, "MAIL_BACKEND", "file")
    monkeypatch.setitem(ctx.config, "MAIL_FOLDER", str(tmp_path / "mail"))
    row = _row(Channel.EMAIL, "maria@example.org")

    assert dispatch.dispatch_due().counts["sent"] == 1

    files = list((tmp_path / "mail").glob("*.eml"))
    assert [f.name for f in files] == [f"{row.uuid}.eml"]
    mail = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert mail["Subject"] == "Ditt ärende 17 har fått ny status"
    assert mail["To"] == "maria@example.org"
    assert mail["Message-ID"] == f"<{row.uuid}@etjanst.local>"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content().replace("\r\n", "\n") == row.body
    assert _state(row.id).state == OutboxState.SENT


def test_an_email_renders_long_swedish_subjects_and_names_as_mail_programs_read_them(ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "MAIL_DEFAULT_SENDER", "Exempelby kommun – Etjänst <noreply@exempelby.se>")
    subject = "Ditt ärende 250001 i e-tjänsten Skolskjuts – ansökan har fått ny status: Beslut fattat (överklagbart)"
    body = "Hej Åsa!\n\nÄrendet är klart.\r\n.\nEn rad med bara en punkt ovan.\n" + "Lång rad " * 40
    email = build_email(
        Outgoing(1, str(uuid.uuid4()), Channel.EMAIL, "asa@example.se", None, None, subject, body, None)
    )

    raw = email.as_bytes()
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == subject
    assert parsed["From"].addresses[0].display_name == "Exempelby kommun – Etjänst"
    assert parsed.get_content().replace("\r\n", "\n") == body.replace("\r\n", "\n")


@pytest.mark.parametrize("address", [None, "", "ingen-snabel-a", "maria@example.org\r\nBcc: x@y"])
def test_a_row_without_a_usable_address_fails_at_once(ctx, monkeypatch, tmp_path, address):
    monkeypatch.setitem(ctx.config, "MAIL_BACKEND", "file")
    monkeypatch.setitem(ctx.config, "MAIL_FOLDER", str(tmp_path))
    row = _row(Channel.EMAIL, address)

    assert dispatch.dispatch_due().counts["failed"] == 1

    failed = _state(row.id)
    assert failed.state == OutboxState.FAILED and failed.attempts == 1 and failed.last_error
    assert list(tmp_path.glob("*.eml")) == []


def test_an_unknown_backend_keeps_the_rows_waiting_with_the_reason(ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "MAIL_BACKEND", "pigeon")
    row = _row(Channel.EMAIL, "maria@example.org")

    assert dispatch.dispatch_due().counts["retry"] == 1

    waiting = _state(row.id)
    assert waiting.state == OutboxState.PENDING and "pigeon" in waiting.last_error


# -- SMS -----------------------------------------------------------------------------------------


class Gateway:
    """A 46elks-style SMS gateway on 127.0.0.1 that records the requests and answers as told."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int] = []  # status codes to answer, in order; then 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                gateway.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "idempotency_key": self.headers.get("Idempotency-Key"),
                        "form": {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()},
                    }
                )
                status = gateway.answers.pop(0) if gateway.answers else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "created", "id": "s1"}' if status == 200 else b'{"error": "nope"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/a1/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(ctx, monkeypatch):
    server = Gateway()
    for key, value in {
        "SMS_BACKEND": "http",
        "SMS_URL": server.url,
        "SMS_USERNAME": "u123",
        "SMS_PASSWORD": "hemligt",
        "SMS_SENDER": "Exempelby",
    }.items():
        monkeypatch.setitem(ctx.config, key, value)
    yield server
    server.close()


def test_sms_goes_to_the_gateway_as_a_form_post_with_basic_auth_and_the_uuid(ctx, gateway):
    row = _row(Channel.SMS, "070-123 45 67", body="Exempelby: Ditt ärende 17 har nu status: Klart.")

    assert dispatch.dispatch_due().counts["sent"] == 1

    [request] = gateway.requests
    assert request["path"] == "/a1/sms"
    assert request["authorization"] == "Basic " + base64.b64encode(b"u123:hemligt").decode()
    assert request["form"] == {"from": "Exempelby", "to": "+46701234567", "message": row.body}
    assert request["idempotency_key"] == row.uuid
    assert _state(row.id).state == OutboxState.SENT


def test_the_gateways_answers_decide_between_retry_and_failure(ctx, gateway):
    busy = _row(Channel.SMS, "+46701111111")
    bad_number = _row(Channel.SMS, "+46702222222")
    gateway.answers = [503, 400]

    assert dispatch.dispatch_due().counts == {"sent": 0, "retry": 1, "failed": 1, "uncertain": 0, "recovered": 0}

    assert _state(busy.id).state == OutboxState.PENDING and "503" in _state(busy.id).last_error
    assert _state(bad_number.id).state == OutboxState.FAILED and "400" in _state(bad_number.id).last_error


def test_wrong_credentials_stop_the_batch_and_keep_every_sms_waiting(ctx, gateway):
    rows = [_row(Channel.SMS, f"+4670111111{n}") for n in range(3)]
    gateway.answers = [401]

    assert dispatch.dispatch_due().counts["retry"] == 3

    assert len(gateway.requests) == 1  # the others were not tried with the same bad password
    assert {_state(r.id).state for r in rows} == {OutboxState.PENDING}


@pytest.mark.parametrize(
    ("number", "expected"),
    [("070-123 45 67", "+46701234567"), ("+46 70 123 45 67", "+46701234567"), ("0046701234567", "+46701234567")],
)
def test_phone_numbers_are_sent_in_e164(number, expected):
    assert e164(number) == expected


@pytest.mark.parametrize("number", [None, "", "12", "ring mig"])
def test_a_phone_number_that_is_none_fails_permanently(number):
    with pytest.raises(PermanentFailure):
        e164(number)


def test_the_log_backend_notes_the_sms_in_the_log_without_number_or_text(ctx, monkeypatch, caplog):
    monkeypatch.setitem(ctx.config, "SMS_BACKEND", "log")
    row = _row(Channel.SMS, "+46701234567", body="Exempelby: nytt meddelande i ärende 17.")

    with caplog.at_level("INFO", logger="etjanst.notify"):
        assert dispatch.dispatch_due().counts["sent"] == 1

    # Issue 9: no personal data in the logs; the outbox row (Utkorg) keeps the number and the text.
    assert row.uuid in caplog.text and "39 characters" in caplog.text
    assert "+46701234567" not in caplog.text and "nytt meddelande" not in caplog.text


# -- Mina sidor ------------------------------------------------------------------------------------


def test_a_mina_sidor_notice_is_written_once(world):
    row = _row(Channel.PORTAL, citizen_id=world.citizen.id)

    assert dispatch.dispatch_due().counts["sent"] == 1
    assert dispatch.dispatch_due().counts["sent"] == 0

    notice = db.session.scalar(select(PortalNotice))
    assert (notice.citizen_id, notice.outbox_uuid, notice.subject) == (world.citizen.id, row.uuid, row.subject)
    assert notice.link == "https://e.example.se/17"
    # A batch that died after writing is taken up again: the notice is not written twice.
    db.session.execute(
        OutboxMessage.__table__.update().values(
            state=OutboxState.SENDING, claimed_by="dead", next_attempt_at=clock.now()
        )
    )
    db.session.commit()
    dispatch.dispatch_due()
    assert db.session.scalar(select(func.count()).select_from(PortalNotice)) == 1
    assert _state(row.id).state == OutboxState.SENT


def test_a_notice_without_a_citizen_fails(world):
    row = _row(Channel.PORTAL)
    assert dispatch.dispatch_due().counts["failed"] == 1
    assert "citizen" in _state(row.id).last_error


def test_backends_are_chosen_by_the_settings(ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "MAIL_BACKEND", "file")
    monkeypatch.setitem(ctx.config, "SMS_BACKEND", "log")
    with backends.open_sender(Channel.EMAIL) as email, backends.open_sender(Channel.SMS) as sms:
        assert isinstance(email, backends.FileSender) and isinstance(sms, backends.LogSmsSender)
    assert Path(ctx.config["MAIL_FOLDER"]).name  # the folder setting exists
