"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, recording what it accepts.

    server = SmtpServer().start()
    server.down()            # the port refuses connections ("the mail server is down")
    server.up()              # back, on the same port
    server.fail_every = 3    # every third message is refused at DATA with 451 (try again)
    server.refuse("x@y")     # RCPT TO that address answers 550 (permanent)
    server.delay = 0.02      # a slow server: each message waits before its answer
    server.message_ids()     # the Message-IDs received, in order (duplicates included)

The ``smtp_server`` fixture (imported by the conftests that need it) starts one and points
the test app's mail settings at it (``MAIL_BACKEND=smtp``, sending not suppressed).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, _server, _session, envelope, address, _options):
        if address.lower() in self.server.refused_addresses:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server, _session, envelope):
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        return self.server._accept(envelope)


class SmtpServer:
    """An SMTP server on a free port of 127.0.0.1 that records every message it accepts."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.fail_every: int | None = None
        self.delay = 0.0  # seconds before answering each message (a slow server)
        self.fail_reply = "451 4.3.0 Temporary failure, try again later"
        self.refused_addresses: set[str] = set()
        self.data_commands = 0  # every DATA, accepted or refused
        self.failed = 0
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def _accept(self, envelope) -> str:
        with self._lock:
            self.data_commands += 1
            if self.fail_every and self.data_commands % self.fail_every == 0:
                self.failed += 1
                return self.fail_reply
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 OK"

    def start(self) -> SmtpServer:
        return self.up()

    def up(self) -> SmtpServer:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
            self._controller.start()
        return self

    def down(self) -> None:
        """Stop listening: connections are refused until ``up``."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    stop = down

    def refuse(self, address: str) -> None:
        self.refused_addresses.add(address.lower())

    def message_ids(self) -> list[str]:
        with self._lock:
            return [str(m["Message-ID"]) for m in self.messages]

    def wait_for(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A running SMTP server, and the test app's e-mail going to it over SMTP."""
    server = SmtpServer().start()
    for key, value in {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": server.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT": 10,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.down()
