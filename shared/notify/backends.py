"""How notifications leave the platform: e-mail, SMS and Mina sidor (F-NOT-4).

Each channel has a backend chosen in the configuration:

- e-mail (``MAIL_BACKEND``): ``smtp`` sends through Flask-Mail over SMTP, one connection
  per batch; ``file`` writes each message as ``<uuid>.eml`` to ``MAIL_FOLDER``
  (development). Every message carries ``Message-ID: <uuid@domain>`` from its outbox row.
- SMS (``SMS_BACKEND``): ``http`` posts to a 46elks-style gateway (form fields ``from``,
  ``to``, ``message``; basic auth with ``SMS_USERNAME``/``SMS_PASSWORD``; the row's uuid in
  an ``Idempotency-Key`` header); ``log`` writes the SMS to the application log.
- Mina sidor: a ``PortalNotice`` row, unique on the outbox row's uuid, written in the same
  transaction that records the row as sent.

A sender raises ``TemporaryFailure`` (try again later), ``PermanentFailure`` (retrying
cannot help, e.g. an address the server refuses) or ``ConnectionFailure`` (the connection
or the configuration is broken: stop the batch, the rest waits for the next attempt).
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import smtplib
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.charset import BASE64, Charset
from email.header import Header
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any, Protocol

import flask_mail
import requests
from flask import Flask, current_app

from shared.app import mail
from shared.db import db
from shared.models import Channel, PortalNotice

log = logging.getLogger("etjanst.notify")


class DeliveryError(Exception):
    """A notification that did not go out."""

    permanent = False
    connection = False


class TemporaryFailure(DeliveryError):
    """Try again later (a busy server, a 4xx answer)."""


class PermanentFailure(DeliveryError):
    """Retrying cannot help (the server refuses the address, a malformed number)."""

    permanent = True


class ConnectionFailure(TemporaryFailure):
    """The connection or the configuration is broken: stop this batch, try again later."""

    connection = True


class UnknownBackend(ConnectionFailure):
    """The configuration names a backend that does not exist, or lacks its settings."""


@dataclass(frozen=True)
class Outgoing:
    """One outbox row as the senders need it (plain values, no ORM object)."""

    id: int
    uuid: str
    channel: Channel
    address: str | None
    citizen_id: int | None
    case_id: int | None
    subject: str | None
    body: str
    link: str | None


class Sender(Protocol):
    def send(self, message: Outgoing) -> None: ...


# -- e-mail ------------------------------------------------------------------------------------


def _domain(sender: str | None) -> str:
    address = parseaddr(sender or "")[1]
    return address.rpartition("@")[2] or "etjanst.local"


def message_id(uuid: str, sender: str | None = None) -> str:
    """The Message-ID of a notification: its outbox uuid at the sender's domain."""
    return f"<{uuid}@{_domain(sender)}>"


_UTF8_BASE64 = Charset("utf-8")
_UTF8_BASE64.header_encoding = BASE64


@functools.lru_cache(maxsize=64)
def _sanitized(address: str) -> str:
    return flask_mail.sanitize_address(address)


class NotificationEmail(flask_mail.Message):
    """Flask-Mail's message for a plain-text notification, built and rendered for speed.

    Two things of Flask-Mail's cost more than the SMTP exchange itself and give a
    notification nothing: its constructor asks the resolver for this host's name for a
    Message-ID (we give our own), and it renders through the e-mail package's generic
    generator and header folding. A plain-text notification is one text/plain part in
    base64: written directly, with the addresses encoded by Flask-Mail's sanitize_*.
    """

    def __init__(self, *, subject: str, recipient: str, body: str, sender: str, msg_id: str, extra_headers: dict):
        # Everything flask_mail.Message.__init__ sets, without its make_msgid().
        self.recipients = [recipient]
        self.to_header = flask_mail.sanitize_address(recipient)  # encoded once: the header and RCPT TO
        self.subject = subject
        self.sender = sender
        self.reply_to = None
        self.cc = []
        self.bcc = []
        self.body = body
        self.alts = {}
        self.date = None
        self.msgId = msg_id
        self.charset = None
        self.extra_headers = extra_headers
        self.mail_options = []
        self.rcpt_options = []
        self.attachments = []

    def as_bytes(self) -> bytes:
        """The message as it goes on the wire: the headers and base64 body MIMEText would give, written directly."""
        subject = flask_mail.force_text(self.subject or "")
        if subject and not subject.isascii():
            # RFC 2047 in base64, folded into encoded words of at most 76 characters.
            subject = Header(subject, _UTF8_BASE64, header_name="Subject").encode(linesep="\r\n")
        headers = [
            ("From", _sanitized(self.sender)),
            ("To", self.to_header),
            ("Subject", subject),
            ("Date", formatdate(self.date, localtime=True)),
            ("Message-ID", self.msgId),
            ("MIME-Version", "1.0"),
            ("Content-Type", 'text/plain; charset="utf-8"'),
            ("Content-Transfer-Encoding", "base64"),
            *(self.extra_headers or {}).items(),
        ]
        head = "".join(_fold(f"{name}: {value}") + "\r\n" for name, value in headers if value)
        # Text in MIME's canonical form has CRLF line breaks, also inside base64.
        text = (self.body or "").replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
        body = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
        return head.encode("ascii") + b"\r\n" + body

    def as_string(self) -> str:
        return self.as_bytes().decode("ascii")


def _fold(line: str, width: int = 78) -> str:
    """A header line folded at spaces to lines of at most ``width`` where it can be (RFC 5322 2.2.3)."""
    if len(line) <= width or "\r\n" in line:
        return line
    folded, current = [], ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > width:
            folded.append(current)
            current = " " + word
        else:
            current = f"{current} {word}" if current else word
    folded.append(current)
    return "\r\n".join(folded)


def build_email(message: Outgoing, app: Flask | None = None) -> flask_mail.Message:
    """A Flask-Mail message for an outbox row: plain text, marked as automatic, Message-ID from its uuid."""
    app = app or current_app
    sender = app.config.get("MAIL_DEFAULT_SENDER")
    if not sender:
        raise ConnectionFailure("no sender: set ETJANST_MAIL_DEFAULT_SENDER")
    if not message.address or "@" not in message.address:
        raise PermanentFailure(f"no e-mail address: {message.address!r}")
    email = NotificationEmail(
        subject=message.subject or "",
        recipient=message.address.strip(),
        body=message.body,
        sender=sender,
        msg_id=message_id(message.uuid, sender),
        # RFC 3834: out-of-office robots must not answer a notification.
        extra_headers={"Auto-Submitted": "auto-generated", "X-Etjanst-Notification": message.uuid},
    )
    if email.has_bad_headers():
        raise PermanentFailure("a line break in the address or the subject")
    return email


class _SmtpConnection(flask_mail.Connection):
    """Flask-Mail's connection with a timeout, and a goodbye that never raises."""

    def __init__(self, state: Any, timeout: float) -> None:
        super().__init__(state)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        state = self.mail
        if state.use_ssl:
            host: smtplib.SMTP = smtplib.SMTP_SSL(state.server, state.port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=self.timeout)
        host.set_debuglevel(int(state.debug))
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host

    def send(self, message: flask_mail.Message, envelope_from: str | None = None) -> None:
        """Flask-Mail's send, with a notification's addresses encoded once (Flask-Mail parses them again)."""
        if not isinstance(message, NotificationEmail):
            return super().send(message, envelope_from)
        if message.date is None:
            message.date = time.time()
        if self.host is not None:
            self.host.sendmail(
                _sanitized(envelope_from or message.sender),
                [message.to_header],
                message.as_bytes(),
                message.mail_options,
                message.rcpt_options,
            )
        flask_mail.email_dispatched.send(current_app._get_current_object(), message=message)
        self.num_emails += 1
        if self.num_emails == self.mail.max_emails:
            self.num_emails = 0
            if self.host:
                self.host.quit()
                self.host = self.configure_host()

    def __exit__(self, *exc: Any) -> None:
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()
            self.host = None


def _smtp_failure(exc: Exception) -> DeliveryError:
    """What an SMTP error means for the row: permanent on 5xx about this message, else try again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        detail = "; ".join(
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for code, msg in exc.recipients.values()
        )
        failure = PermanentFailure if codes and all(500 <= c < 600 for c in codes) else TemporaryFailure
        return failure(f"recipient refused: {detail}")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        # The sender address is the configuration's: every message would fail the same way.
        return ConnectionFailure(f"sender refused: {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        failure = PermanentFailure if 500 <= exc.smtp_code < 600 else TemporaryFailure
        return failure(f"{exc.smtp_code} {_text(exc.smtp_error)}")
    # SMTPException is an OSError too: only a disconnect or a socket error means the connection broke.
    if isinstance(exc, smtplib.SMTPServerDisconnected) or (
        isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)
    ):
        return ConnectionFailure(f"{exc.__class__.__name__}: {exc}")
    if isinstance(exc, smtplib.SMTPException):
        return TemporaryFailure(f"{exc.__class__.__name__}: {exc}")
    if isinstance(exc, AssertionError):  # Flask-Mail: no sender configured
        return ConnectionFailure(f"mail settings: {exc}")
    return PermanentFailure(f"{exc.__class__.__name__}: {exc}")


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class SmtpSender:
    """Sends over one SMTP connection (opened on the first message, reopened after a disconnect)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        # The settings as they are now (tests point them at their own server).
        self.state = mail.init_mail(app.config, app.debug, app.testing)
        self.timeout = float(app.config.get("MAIL_TIMEOUT", 30))
        self.connection: _SmtpConnection | None = None

    def _connection(self) -> _SmtpConnection:
        if self.connection is None:
            connection = _SmtpConnection(self.state, self.timeout)
            try:
                connection.__enter__()
            except (smtplib.SMTPException, OSError) as exc:
                raise ConnectionFailure(f"cannot connect to {self.state.server}:{self.state.port}: {exc}") from exc
            self.connection = connection
        return self.connection

    def send(self, message: Outgoing) -> None:
        email = build_email(message, self.app)
        connection = self._connection()
        try:
            connection.send(email)
        except flask_mail.BadHeaderError as exc:
            raise PermanentFailure("a line break in the address or the subject") from exc
        except Exception as exc:
            failure = _smtp_failure(exc)
            if failure.connection:
                self.close()
            raise failure from exc

    def close(self) -> None:
        if self.connection is not None:
            self.connection.__exit__(None, None, None)
            self.connection = None


class FileSender:
    """Writes each e-mail as MAIL_FOLDER/<uuid>.eml (development): the same row always makes the same file."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.folder = Path(app.config.get("MAIL_FOLDER") or "mail")

    def send(self, message: Outgoing) -> None:
        data = build_email(message, self.app).as_bytes()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, self.folder / f"{message.uuid}.eml")
        except OSError as exc:
            raise ConnectionFailure(f"cannot write to {self.folder}: {exc}") from exc

    def close(self) -> None:
        pass


# -- SMS ---------------------------------------------------------------------------------------


def e164(number: str | None) -> str:
    """A Swedish phone number as the gateways want it (+46701234567); PermanentFailure if it is none."""
    raw = (number or "").strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.startswith("+"):
        result = "+" + digits
    elif digits.startswith("00"):
        result = "+" + digits[2:]
    elif digits.startswith("0"):
        result = "+46" + digits[1:]
    else:
        result = "+" + digits
    if not 8 <= len(result) <= 16:
        raise PermanentFailure(f"not a phone number: {number!r}")
    return result


class HttpSmsSender:
    """Posts each SMS to a 46elks-style gateway (form POST, basic auth), one HTTP session per batch."""

    def __init__(self, app: Flask) -> None:
        self.url = app.config.get("SMS_URL")
        if not self.url:
            raise UnknownBackend("SMS_BACKEND=http needs ETJANST_SMS_URL")
        self.sender_name = app.config.get("SMS_SENDER") or "Etjanst"
        self.timeout = float(app.config.get("SMS_TIMEOUT", 30))
        self.session = requests.Session()
        username, password = app.config.get("SMS_USERNAME"), app.config.get("SMS_PASSWORD")
        if username or password:
            self.session.auth = (username or "", password or "")

    def send(self, message: Outgoing) -> None:
        form = {"from": self.sender_name, "to": e164(message.address), "message": message.body}
        try:
            response = self.session.post(
                self.url, data=form, headers={"Idempotency-Key": message.uuid}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ConnectionFailure(f"SMS gateway: {exc.__class__.__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        detail = f"SMS gateway answered {status}: {response.text[:300]}"
        if status in (401, 403):
            raise ConnectionFailure(detail)  # the credentials: every message would fail
        if status == 429 or status >= 500 or status == 408:
            raise TemporaryFailure(detail)
        raise PermanentFailure(detail)

    def close(self) -> None:
        self.session.close()


class LogSmsSender:
    """Writes each SMS to the application log (development)."""

    def send(self, message: Outgoing) -> None:
        log.info("SMS to %s [%s]: %s", message.address, message.uuid, message.body)

    def close(self) -> None:
        pass


# -- Mina sidor --------------------------------------------------------------------------------


class PortalSender:
    """Adds the notice to the citizen's Mina sidor; the dispatcher commits it with the row's result."""

    def send(self, message: Outgoing) -> None:
        if message.citizen_id is None:
            raise PermanentFailure("no citizen to show the notice to")
        db.session.add(
            PortalNotice(
                citizen_id=message.citizen_id,
                case_id=message.case_id,
                subject=message.subject,
                body=message.body,
                link=message.link,
                outbox_uuid=message.uuid,
            )
        )

    def close(self) -> None:
        pass


# -- choosing ----------------------------------------------------------------------------------

EMAIL_BACKENDS = {"smtp": SmtpSender, "file": FileSender}
SMS_BACKENDS = {"http": HttpSmsSender, "log": lambda app: LogSmsSender()}


def _make_sender(channel: Channel, app: Flask):
    if channel == Channel.PORTAL:
        return PortalSender()
    if channel == Channel.EMAIL:
        name, known = app.config.get("MAIL_BACKEND") or "file", EMAIL_BACKENDS
    else:
        name, known = app.config.get("SMS_BACKEND") or "log", SMS_BACKENDS
    try:
        factory = known[name]
    except KeyError:
        raise UnknownBackend(f"unknown {channel} backend {name!r}; use one of {', '.join(known)}") from None
    return factory(app)


@contextmanager
def open_sender(channel: Channel | str, app: Flask | None = None) -> Iterator[Sender]:
    """A sender for one channel for the length of a batch (one SMTP connection, one HTTP session)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    sender = _make_sender(Channel(channel), app)
    try:
        yield sender
    finally:
        sender.close()


__all__ = [
    "ConnectionFailure",
    "DeliveryError",
    "Outgoing",
    "PermanentFailure",
    "Sender",
    "TemporaryFailure",
    "UnknownBackend",
    "build_email",
    "e164",
    "message_id",
    "open_sender",
]
