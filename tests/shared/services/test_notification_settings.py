"""Notification settings per e-service (F-ES-7, F-NOT-3): the matrix, own texts, checks, preview, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared import notify
from shared.db import db
from shared.errors import Invalid, NotAllowed, NotFound
from shared.models import AuditEntry, Channel, NotificationEvent, NotificationSetting, Recipient
from shared.services import notification_settings as ns
from tests import factories

E, R, C = NotificationEvent, Recipient, Channel


def _row(world, event, recipient, channel) -> NotificationSetting | None:
    return db.session.scalar(
        select(NotificationSetting).where(
            NotificationSetting.eservice_id == world.eservice.id,
            NotificationSetting.event == event,
            NotificationSetting.recipient == recipient,
            NotificationSetting.channel == channel,
        )
    )


def _save(world, *, enabled=None, texts=None, mailbox=None, actor=None):
    state = ns.notification_matrix(world.eservice.id, actor=world.builder)
    return ns.save_notification_settings(
        world.eservice.id,
        actor=actor or world.builder,
        enabled=state.enabled if enabled is None else enabled,
        texts={**state.texts, **(texts or {})},
        general_mailbox=state.general_mailbox if mailbox is None else mailbox,
    )


def test_the_matrix_offers_exactly_the_combinations_of_the_defaults():
    assert set(ns.CELLS) == {(e, r, c) for e, r, c, _on in notify.DEFAULTS}
    assert (E.SUBMITTED, R.APPLICANT, C.PORTAL) in ns.CELLS
    assert all(c != C.PORTAL for _e, r, c in ns.CELLS if r != R.APPLICANT)  # Mina sidor is for citizens only
    assert all(c == C.EMAIL for _e, r, c in ns.CELLS if r == R.MAILBOX)
    assert E.SUBTASK_DUE not in ns.EVENTS  # sent whatever the settings: not a switch


def test_texts_are_per_event_and_audience_with_an_sms_text_only_where_sms_exists():
    names = {f.name for f in ns.all_text_fields()}
    assert {"text-status_changed-applicant-subject", "text-status_changed-handler-body"} <= names
    assert "text-submitted-applicant-sms" in names
    assert "text-auto_reply-applicant-sms" not in names  # no SMS row for the absence reply
    assert "text-submitted-handler-subject" not in names  # no staff rows for "submitted"


def test_an_e_service_without_rows_shows_everything_off_and_saving_creates_them(world):
    state = ns.notification_matrix(world.eservice.id, actor=world.builder)
    assert state.enabled == set() and state.general_mailbox == ""
    _save(world, enabled={ns.cell_name((E.NEW_CASE, R.ALL_HANDLERS, C.EMAIL))})
    rows = db.session.scalars(
        select(NotificationSetting).where(NotificationSetting.eservice_id == world.eservice.id)
    ).all()
    assert len(rows) == len(ns.CELLS)
    assert [(r.event, r.recipient, r.channel) for r in rows if r.enabled] == [(E.NEW_CASE, R.ALL_HANDLERS, C.EMAIL)]


def test_the_defaults_read_back_as_the_matrix(world):
    notify.default_notification_settings(world.eservice)
    db.session.commit()
    state = ns.notification_matrix(world.eservice.id, actor=world.builder)
    assert state.enabled == {ns.cell_name((e, r, c)) for e, r, c, on in notify.DEFAULTS if on}
    assert all(text == "" for text in state.texts.values())


def test_own_texts_are_stored_on_the_rows_and_used_when_queueing(world):
    notify.default_notification_settings(world.eservice)
    db.session.commit()
    _save(
        world,
        texts={
            "text-submitted-applicant-subject": "Tack för din ansökan {arendenummer}",
            "text-submitted-applicant-body": "Hej!\r\nVi har fått ärende {arendenummer} i {etjanst}.",
            "text-submitted-applicant-sms": "Ärende {arendenummer} mottaget",
        },
    )
    email = _row(world, E.SUBMITTED, R.APPLICANT, C.EMAIL)
    portal = _row(world, E.SUBMITTED, R.APPLICANT, C.PORTAL)
    sms = _row(world, E.SUBMITTED, R.APPLICANT, C.SMS)
    assert email.subject == portal.subject == "Tack för din ansökan {arendenummer}"
    assert email.body == "Hej!\nVi har fått ärende {arendenummer} i {etjanst}."
    assert (sms.subject, sms.body) == (None, "Ärende {arendenummer} mottaget")

    case = factories.case(world.eservice, citizen=world.citizen)
    notify.queue(case, E.SUBMITTED)
    sent = factories.outbox(E.SUBMITTED)
    by_mail = [m for m in sent if m.channel == C.EMAIL]
    assert by_mail and by_mail[0].subject == f"Tack för din ansökan {case.number}"
    assert by_mail[0].body == f"Hej!\nVi har fått ärende {case.number} i Skolskjuts."


def test_emptying_a_text_goes_back_to_the_standard_text(world):
    notify.default_notification_settings(world.eservice)
    db.session.commit()
    _save(world, texts={"text-closed-applicant-subject": "Klart {arendenummer}"})
    assert _row(world, E.CLOSED, R.APPLICANT, C.EMAIL).subject == "Klart {arendenummer}"
    _save(world, texts={"text-closed-applicant-subject": "   "})
    assert _row(world, E.CLOSED, R.APPLICANT, C.EMAIL).subject is None
    assert ns.notification_matrix(world.eservice.id, actor=world.builder).texts["text-closed-applicant-subject"] == ""


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Ärende {arendenr}", "okänd platshållare {arendenr}"),
        ("Hej {namn.__class__}", "okänd platshållare {namn.__class__}"),
        ("Ärende {arendenummer", "”{arendenummer”"),
        ("Ärende {{arendenummer}}", "”{{arendenummer}}”"),
        ("Ärende } klart", "”Ärende }”"),
    ],
)
def test_a_bad_text_is_refused_naming_the_event_and_field_and_nothing_is_saved(world, text, words):
    notify.default_notification_settings(world.eservice)
    db.session.commit()
    with pytest.raises(Invalid) as caught:
        _save(world, enabled=set(), texts={"text-overdue-handler-body": text})
    message = caught.value.errors["text-overdue-handler-body"]
    assert message.startswith("Text till handläggare för ”Ärendet förfaller”: ")
    assert words in message
    db.session.rollback()
    assert _row(world, E.OVERDUE, R.ASSIGNED_HANDLERS, C.EMAIL).body is None
    assert _row(world, E.SUBMITTED, R.APPLICANT, C.EMAIL).enabled is True  # the switches were not saved either
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_notifications_changed")) is None


def test_every_standard_text_passes_the_check():
    assert ns.check_texts({f.name: f.standard for f in ns.all_text_fields()}) == {}


def test_a_subject_must_be_one_short_line(world):
    errors = ns.check_texts(
        {"text-assigned-handler-subject": "Rad ett\nrad två", "text-closed-applicant-subject": "x" * 301}
    )
    assert "på en rad" in errors["text-assigned-handler-subject"]
    assert "högst 300 tecken" in errors["text-closed-applicant-subject"]


def test_the_functional_mailbox_is_checked_and_normalised(world):
    _save(world, mailbox=" Skolskjuts@Example.ORG ")
    assert world.eservice.general_mailbox == "skolskjuts@example.org"
    with pytest.raises(Invalid) as caught:
        _save(world, mailbox="skolskjuts")
    assert "general_mailbox" in caught.value.errors
    db.session.rollback()
    _save(world, mailbox="")
    assert world.eservice.general_mailbox is None


def test_the_audit_entry_holds_only_the_changed_cells_before_and_after(world):
    notify.default_notification_settings(world.eservice)
    db.session.commit()
    state = ns.notification_matrix(world.eservice.id, actor=world.builder)
    on = set(state.enabled) - {ns.cell_name((E.CLOSED, R.APPLICANT, C.EMAIL))}
    _save(world, enabled=on, texts={"text-assigned-handler-sms": "Nytt ärende {arendenummer}"}, actor=world.admin)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_notifications_changed"))
    assert (entry.username, entry.object_type, entry.object_id) == ("admin", "EService", str(world.eservice.id))
    assert entry.details["before"] == {"cell-closed-applicant-email": True, "text-assigned-handler-sms": None}
    assert entry.details["after"] == {
        "cell-closed-applicant-email": False,
        "text-assigned-handler-sms": "Nytt ärende {arendenummer}",
    }
    # Saving the same again records nothing.
    _save(world)
    assert (
        len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "config_notifications_changed")).all())
        == 1
    )


def test_only_builders_and_admins_may_read_or_change_the_settings(world):
    with pytest.raises(NotAllowed):
        ns.notification_matrix(world.eservice.id, actor=world.hanna)
    with pytest.raises(NotAllowed):
        ns.save_notification_settings(world.eservice.id, actor=world.hanna, enabled=set(), texts={}, general_mailbox="")
    with pytest.raises(NotFound):
        ns.notification_matrix(999999, actor=world.builder)
    assert ns.notification_matrix(world.eservice.id, actor=world.admin).eservice == world.eservice


def test_the_preview_renders_typed_or_standard_texts_for_an_example_case(world):
    parts = ns.preview_event(
        world.eservice.id,
        "status_changed",
        {"text-status_changed-applicant-subject": "{etjanst}: {status}"},
        actor=world.builder,
    )
    texts = {p.label: p.text for p in parts}
    assert texts["Ämne till den sökande"] == "Skolskjuts: Inskickat"
    assert "123456" in texts["Text till den sökande"] and "/mina-sidor/arenden/123456" in texts["Text till den sökande"]
    assert texts["Ämne till handläggare"] == "Ärende 123456 har fått status Inskickat"
    assert "/arenden/123456" in texts["Text till handläggare"]
    with pytest.raises(NotFound):
        ns.preview_event(world.eservice.id, "nonsense", {}, actor=world.builder)
    with pytest.raises(NotAllowed):
        ns.preview_event(world.eservice.id, "submitted", {}, actor=world.hanna)
