"""Masking personnummer in texts, the reveal service, and the log's own protections (issue 9)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

import config
from shared.db import db
from shared.errors import NotFound
from shared.log_privacy import QueryStringFilter, ResultRowFilter
from shared.models import AuditEntry
from shared.notify.backends import LogSmsSender, Outgoing
from shared.services import masking
from tests import factories


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Personnummer: 19850709-9805", "Personnummer: 19850709-****"),
        ("198507099805", "19850709-****"),
        ("850709-9805 och 8507099805", "850709-**** och 850709-****"),
        ("född 19121212+1212", "född 19121212+****"),
        ("samordningsnummer 19701063-2391", "samordningsnummer 19701063-****"),
        ("Namn: Kalle · 20000101-2384 · Skola", "Namn: Kalle · 20000101-**** · Skola"),
    ],
)
def test_personnummer_are_masked_wherever_they_are_in_a_text(text, masked):
    assert masking.mask_personnummer(text) == masked
    assert masking.has_personnummer(text)


@pytest.mark.parametrize(
    "text",
    [
        "Datum 2026-03-01 kl 10:15",
        "Ring 070-123 45 67 eller 0701234567 eller +46701234567",
        "Order 20260301-1234",  # the shape of one, but the check digit is wrong
        "Ärende 100234, organisationsnummer 212000-0142 är inte ett personnummer? 2120000142",
        "",
    ],
)
def test_dates_phone_numbers_and_numbers_that_fail_the_check_digit_are_left(text):
    assert masking.mask_personnummer(text) == text
    assert not masking.has_personnummer(text)


def test_reveal_is_audited_for_a_handler_who_sees_the_case_and_not_found_for_others(ctx):
    world = factories.world()
    case = factories.case(world.eservice, citizen=world.citizen)
    db.session.commit()
    assert masking.reveal_personnummer(case.id, actor=world.hanna).id == case.id
    with pytest.raises(NotFound):
        masking.reveal_personnummer(case.id, actor=world.outsider)
    with pytest.raises(NotFound):
        masking.reveal_personnummer(999999, actor=world.hanna)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "personnummer_revealed")).all()
    assert [(e.username, e.case_number) for e in entries] == [("hanna", case.number)]


def test_the_log_sms_backend_logs_neither_number_nor_text(caplog):
    message = Outgoing(
        id=1, uuid="5b0c8a52-8f7e-4c5e-9a55-3c1d2f1e9b10", channel="sms", address="+46701234567",
        subject=None, body="Hej Maria, du har fått ett meddelande om 19850709-9805", link=None,
        citizen_id=None, case_id=None,
    )  # fmt: skip
    with caplog.at_level(logging.DEBUG):
        LogSmsSender().send(message)
    assert caplog.messages == [f"SMS not sent (SMS_BACKEND=log) [{message.uuid}]: {len(message.body)} characters"]


def test_production_warns_loudly_when_sms_only_go_to_the_log(monkeypatch, caplog):
    monkeypatch.setenv("ETJANST_SECRET_KEY", "x" * 64)
    monkeypatch.setenv("ETJANST_DATABASE_URL", "postgresql://etjanst@db/etjanst")
    monkeypatch.delenv("ETJANST_SMS_BACKEND", raising=False)
    with caplog.at_level(logging.WARNING, logger="etjanst.config"):
        assert config.get_config("production").SMS_BACKEND == "log"
    assert any("text messages are NOT sent" in m for m in caplog.messages)
    caplog.clear()
    monkeypatch.setenv("ETJANST_SMS_BACKEND", "http")
    monkeypatch.setenv("ETJANST_SMS_URL", "https://sms.example.se/send")
    with caplog.at_level(logging.WARNING, logger="etjanst.config"):
        config.get_config("production")
    assert caplog.messages == []


def _record(name: str, msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)


def test_the_access_log_filter_drops_query_strings_and_the_row_filter_drops_rows():
    record = _record(
        "werkzeug", '127.0.0.1 - - [x] "%s" %s %s', "GET /admin/arenden/?q=Kalle+Anka HTTP/1.1", "200", "-"
    )
    assert QueryStringFilter().filter(record)
    assert record.getMessage() == '127.0.0.1 - - [x] "GET /admin/arenden/ HTTP/1.1" 200 -'
    assert not ResultRowFilter().filter(_record("sqlalchemy.engine.Engine", "Row %r", ("Kalle", "198507099805")))
    assert ResultRowFilter().filter(_record("sqlalchemy.engine.Engine", "SELECT 1"))
