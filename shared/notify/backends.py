"""How notifications leave the platform: e-mail, SMS and Mina sidor (F-NOT-4).

Each channel has a backend chosen in the configuration:

- e-mail (``MAIL_BACKEND``): ``smtp`` sends over SMTP (Flask-Mail's ``MAIL_*`` settings),
  one connection per batch; ``file`` writes each message as ``<uuid>.eml`` to
  ``MAIL_FOLDER`` (development). Every message carries ``Message-ID: <uuid@domain>`` from its outbox row.
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

    def close(self) -> None: ...


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
def _encoded_sender(address: str) -> str:
    return flask_mail.sanitize_address(address)


@dataclass(frozen=True)
class NotificationEmail:
    """A plain-text notification, written directly as the bytes that go on the wire.

    Not Flask-Mail's Message, for speed (``benchmarks/dispatch.py``): its constructor asks
    the resolver for this host's name for a Message-ID (ours comes from the outbox row),
    and its rendering through the e-mail package's generator costs more than the SMTP
    exchange itself. A notification is one text/plain part in base64, with the addresses
    encoded by Flask-Mail's ``sanitize_address`` (the From and To headers, MAIL FROM and RCPT TO).
    """

    sender: str
    recipient: str
    subject: str
    body: str
    msg_id: str
    extra_headers: tuple[tuple[str, str], ...] = ()

    def as_bytes(self) -> bytes:
        """The headers and base64 body MIMEText would give."""
        subject = self.subject
        if not subject.isascii():
            # RFC 2047 in base64, folded into encoded words of at most 76 characters.
            subject = Header(subject, _UTF8_BASE64, header_name="Subject").encode(linesep="\r\n")
        headers = [
            ("From", self.sender),
            ("To", self.recipient),
            ("Subject", subject),
            ("Date", formatdate(localtime=True)),
            ("Message-ID", self.msg_id),
            ("MIME-Version", "1.0"),
            ("Content-Type", 'text/plain; charset="utf-8"'),
            ("Content-Transfer-Encoding", "base64"),
            *self.extra_headers,
        ]
        head = "".join(_fold(f"{name}: {value}") + "\r\n" for name, value in headers if value)
        # Text in MIME's canonical form has CRLF line breaks, also inside base64.
        text = self.body.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
        body = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
        return head.encode("ascii") + b"\r\n" + body


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


def build_email(message: Outgoing, app: Flask | None = None) -> NotificationEmail:
    """The e-mail of an outbox row: plain text, marked as automatic, Message-ID from its uuid."""
    app = app or current_app
    sender = app.config.get("MAIL_DEFAULT_SENDER")
    if not sender:
        raise ConnectionFailure("no sender: set ETJANST_MAIL_DEFAULT_SENDER")
    if not message.address or "@" not in message.address:
        raise PermanentFailure(f"no e-mail address: {message.address!r}")
    recipient, subject = message.address.strip(), message.subject or ""
    if any("\r" in value or "\n" in value for value in (sender, recipient, subject)):
        raise PermanentFailure("a line break in the address or the subject")
    return NotificationEmail(
        sender=_encoded_sender(sender),
        recipient=flask_mail.sanitize_address(recipient),
        subject=subject,
        body=message.body,
        msg_id=message_id(message.uuid, sender),
        # RFC 3834: out-of-office robots must not answer a notification.
        extra_headers=(("Auto-Submitted", "auto-generated"), ("X-Etjanst-Notification", message.uuid)),
    )


def _smtp_failure(exc: Exception) -> DeliveryError:
    """What an SMTP error means for the row: permanent on 5xx about this message, else try again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        detail = "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
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
    return PermanentFailure(f"{exc.__class__.__name__}: {exc}")


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class SmtpSender:
    """Sends over one SMTP connection with Flask-Mail's MAIL_* settings (opened on the first message, again after a disconnect)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        # The settings as they are now (tests point them at their own server).
        self.settings = mail.init_mail(app.config, app.debug, app.testing)
        self.timeout = float(app.config.get("MAIL_TIMEOUT", 30))
        self.host: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        host = None
        try:
            smtp = smtplib.SMTP_SSL if settings.use_ssl else smtplib.SMTP
            host = smtp(settings.server, settings.port, timeout=self.timeout)
            host.set_debuglevel(int(settings.debug))
            if settings.use_tls:
                host.starttls()
            if settings.username and settings.password:
                host.login(settings.username, settings.password)
            return host
        except (smtplib.SMTPException, OSError) as exc:
            if host is not None:
                host.close()
            raise ConnectionFailure(f"cannot connect to {settings.server}:{settings.port}: {exc}") from exc

    def send(self, message: Outgoing) -> None:
        email = build_email(message, self.app)
        if self.settings.suppress:  # MAIL_SUPPRESS_SEND (Flask-Mail's, on by default in tests)
            return
        if self.host is None:
            self.host = self._connect()
        try:
            self.host.sendmail(email.sender, [email.recipient], email.as_bytes())
        except Exception as exc:
            failure = _smtp_failure(exc)
            if failure.connection:
                self.close()
            raise failure from exc

    def close(self) -> None:
        """Say goodbye; never raises."""
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()
            self.host = None


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
    """Notes each SMS in the application log (development): its id and length, never the number or the text.

    Logs are kept longer and read by more people than the cases (issue 9); to read a
    development SMS, open the outbox row (Utkorg) in the back office.
    """

    def send(self, message: Outgoing) -> None:
        log.info("SMS not sent (SMS_BACKEND=log) [%s]: %d characters", message.uuid, len(message.body or ""))

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


def make_sender(channel: Channel, app: Flask | None = None) -> Sender:
    """The configured sender of a channel, for one batch (close it afterwards); UnknownBackend if there is none."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
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
    sender = make_sender(Channel(channel), app)
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
    "make_sender",
    "message_id",
    "open_sender",
]
