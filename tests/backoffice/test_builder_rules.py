"""The builder's rule sections through the back office, logged in for real with CSRF on:
notification settings (F-ES-7, F-NOT-3) and retention rules (F-ES-8)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import select

from shared import clock
from shared.db import db
from shared.models import (
    AuditEntry,
    Channel,
    EService,
    NotificationEvent,
    NotificationSetting,
    Recipient,
    RetentionAction,
    RetentionRule,
    StaffUser,
    StatusKind,
)
from shared.notify import default_notification_settings
from shared.services import notification_settings as ns
from tests import factories
from tests.backoffice.conftest import csrf_token, login

E, R, C = NotificationEvent, Recipient, Channel


@pytest.fixture
def skolskjuts(bo):
    service = factories.eservice("Skolskjuts")
    default_notification_settings(service)
    factories.builder()
    factories.user("hanna", first_name="Hanna", last_name="Berg")
    factories.admin()
    db.session.commit()
    return service


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def _form(page_html: str) -> dict[str, str]:
    """What the browser would post for the page's form as shown: ticked boxes, text fields, CSRF."""
    data = {"csrf_token": csrf_token(page_html)}
    for match in re.finditer(r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="1"( checked)?', page_html):
        if match.group(2):
            data[match.group(1)] = "1"
    for match in re.finditer(
        r'<input class="form-control" type="(?:text|email)" id="[^"]+" name="([^"]+)" value="([^"]*)"', page_html
    ):
        data[match.group(1)] = unescape(match.group(2))
    for match in re.finditer(
        r'<textarea class="form-control" id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', page_html, re.S
    ):
        data[match.group(1)] = unescape(match.group(2))
    return data


def _setting(service: EService, event, recipient, channel) -> NotificationSetting | None:
    db.session.expire_all()
    return db.session.scalar(
        select(NotificationSetting).where(
            NotificationSetting.eservice_id == service.id,
            NotificationSetting.event == event,
            NotificationSetting.recipient == recipient,
            NotificationSetting.channel == channel,
        )
    )


def _url(service: EService, section: str = "notifieringar") -> str:
    return f"/byggare/etjanster/{service.id}/{section}"


# -- notification settings ---------------------------------------------------------------------


def test_the_matrix_shows_events_recipients_and_channels_in_swedish(client, skolskjuts):
    login(client, "builder")
    page = client.get(_url(skolskjuts))
    assert page.status_code == 200
    html = _text(page)
    assert "<h1>Notifieringsinställningar" in html
    for words in ("Ärendet skickas in", "Byte av status", "Den sökande", "Tilldelade handläggare", "Funktionsbrevlåda"):
        assert words in html
    # The defaults: e-mail to the applicant on submitted is on, SMS off; no Mina sidor for handlers.
    assert 'name="cell-submitted-applicant-email" value="1" checked' in html
    assert 'name="cell-submitted-applicant-sms" value="1">' in html
    assert "cell-assigned-assigned_handlers-portal" not in html
    # The standard text shows as the empty field's placeholder; the placeholder help is there.
    assert 'placeholder="Vi har tagit emot ditt ärende {arendenummer}"' in html
    assert "{arendenummer}" in html and "{etjanst}" in html and "{lank}" in html


def test_saving_switches_cells_and_texts_and_records_only_the_changes(client, skolskjuts):
    login(client, "builder")
    data = _form(client.get(_url(skolskjuts)).get_data(as_text=True))
    data.pop("cell-submitted-applicant-email")
    data["cell-submitted-applicant-sms"] = "1"
    data["text-submitted-applicant-subject"] = "Tack för din ansökan {arendenummer}"
    data["general_mailbox"] = "Skolskjuts@Example.org"

    response = client.post(_url(skolskjuts), data=data, follow_redirects=True)

    assert response.status_code == 200
    assert "Notifieringsinställningarna har sparats." in _text(response)
    assert _setting(skolskjuts, E.SUBMITTED, R.APPLICANT, C.EMAIL).enabled is False
    assert _setting(skolskjuts, E.SUBMITTED, R.APPLICANT, C.SMS).enabled is True
    email = _setting(skolskjuts, E.SUBMITTED, R.APPLICANT, C.EMAIL)
    portal = _setting(skolskjuts, E.SUBMITTED, R.APPLICANT, C.PORTAL)
    assert email.subject == portal.subject == "Tack för din ansökan {arendenummer}"
    assert _setting(skolskjuts, E.SUBMITTED, R.APPLICANT, C.SMS).subject is None
    assert db.session.get(EService, skolskjuts.id).general_mailbox == "skolskjuts@example.org"

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_notifications_changed"))
    assert entry.username == "builder"
    assert entry.details["before"] == {
        "cell-submitted-applicant-email": True,
        "cell-submitted-applicant-sms": False,
        "text-submitted-applicant-subject": None,
        "general_mailbox": None,
    }
    assert entry.details["after"] == {
        "cell-submitted-applicant-email": False,
        "cell-submitted-applicant-sms": True,
        "text-submitted-applicant-subject": "Tack för din ansökan {arendenummer}",
        "general_mailbox": "skolskjuts@example.org",
    }
    # The audit log names the action in Swedish.
    client.get("/logout/")
    login(client, "admin")
    assert "Notifieringsinställningar ändrade" in _text(client.get("/granskningslogg/"))


def test_an_unknown_placeholder_or_a_broken_brace_saves_nothing_and_keeps_what_was_typed(client, skolskjuts):
    login(client, "builder")
    data = _form(client.get(_url(skolskjuts)).get_data(as_text=True))
    data.pop("cell-submitted-applicant-email")
    data["text-status_changed-applicant-body"] = "Ärende {arendenr} har status {status}"
    data["text-overdue-handler-subject"] = "Förfallet {arendenummer"

    response = client.post(_url(skolskjuts), data=data)

    assert response.status_code == 422
    html = _text(response)
    assert 'role="alert"' in html
    assert "Text till den sökande för ”Byte av status”: okänd platshållare {arendenr}." in html
    assert "Ämne till handläggare för ”Ärendet förfaller”" in html and "”{arendenummer”" in html
    assert '<a href="#f-text-status_changed-applicant-body">' in html
    # The typed values stay; the unticked box stays unticked; the events with errors are open.
    assert ">Ärende {arendenr} har status {status}</textarea>" in html
    assert 'value="Förfallet {arendenummer"' in html
    assert 'name="cell-submitted-applicant-email" value="1">' in html
    assert '<details id="texts-status_changed" open>' in html
    # Nothing was saved.
    assert _setting(skolskjuts, E.SUBMITTED, R.APPLICANT, C.EMAIL).enabled is True
    assert _setting(skolskjuts, E.STATUS_CHANGED, R.APPLICANT, C.EMAIL).body is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_notifications_changed")) is None


def test_a_bad_mailbox_address_is_refused(client, skolskjuts):
    login(client, "builder")
    data = _form(client.get(_url(skolskjuts)).get_data(as_text=True))
    data["general_mailbox"] = "inte en adress"
    response = client.post(_url(skolskjuts), data=data)
    assert response.status_code == 422
    assert "Ange en giltig e-postadress för funktionsbrevlådan." in _text(response)
    assert db.session.get(EService, skolskjuts.id).general_mailbox is None


def test_preview_renders_the_typed_text_for_an_example_case_without_saving(client, skolskjuts):
    login(client, "builder")
    data = _form(client.get(_url(skolskjuts)).get_data(as_text=True))
    data["text-submitted-applicant-subject"] = "Tack! Ärende {arendenummer} i {etjanst}"
    data["preview"] = "submitted"

    response = client.post(_url(skolskjuts), data=data)

    assert response.status_code == 200
    html = _text(response)
    assert "Förhandsgranskning med ett exempelärende" in html
    assert "<pre>Tack! Ärende 123456 i Skolskjuts</pre>" in html
    # The standard body of the same event is rendered too, with the portal link.
    assert "http://127.0.0.1:5000/mina-sidor/arenden/123456" in html or "/mina-sidor/arenden/123456" in html
    assert '<details id="texts-submitted" open>' in html
    assert _setting(skolskjuts, E.SUBMITTED, R.APPLICANT, C.EMAIL).subject is None


def test_an_e_service_without_settings_rows_gets_them_on_save(client, bo):
    service = factories.eservice("Bygglov")
    factories.builder()
    db.session.commit()
    login(client, "builder")
    html = client.get(_url(service)).get_data(as_text=True)
    assert 'name="cell-submitted-applicant-email" value="1">' in html  # no row: off, as when sending
    data = _form(html)
    data["cell-new_case-mailbox-email"] = "1"
    assert client.post(_url(service), data=data).status_code == 302
    assert _setting(service, E.NEW_CASE, R.MAILBOX, C.EMAIL).enabled is True
    assert _setting(service, E.SUBMITTED, R.APPLICANT, C.EMAIL).enabled is False
    assert len(
        db.session.scalars(select(NotificationSetting).where(NotificationSetting.eservice_id == service.id)).all()
    ) == len(ns.CELLS)


def _handler_token(client) -> str:
    """Log in as the handler; the CSRF token of the session (taken from the login page)."""
    token = csrf_token(client.get("/login/").get_data(as_text=True))
    login(client, "hanna")
    return token


def test_a_handler_may_not_open_or_post_the_notification_settings(client, skolskjuts):
    token = _handler_token(client)
    assert client.get(_url(skolskjuts)).status_code == 403
    response = client.post(_url(skolskjuts), data={"csrf_token": token})
    assert response.status_code == 403
    assert _setting(skolskjuts, E.SUBMITTED, R.APPLICANT, C.EMAIL).enabled is True


def test_an_unknown_e_service_is_404(client, skolskjuts):
    login(client, "builder")
    assert client.get("/byggare/etjanster/999999/notifieringar").status_code == 404
    assert client.get("/byggare/etjanster/999999/gallring").status_code == 404


# -- retention rules ---------------------------------------------------------------------------


def _old_case(service: EService, kind: StatusKind, days_ago: int):
    return factories.case(service, status_kind=kind, status_changed_at=clock.now() - dt.timedelta(days=days_ago))


def _rule_data(page_html: str, **values: str) -> dict[str, str]:
    return {"csrf_token": csrf_token(page_html), "action": "delete", "enabled": "1", **values}


def test_adding_a_rule_previews_the_count_then_saves_and_lists_it(client, skolskjuts):
    klart = factories.status(skolskjuts, StatusKind.COMPLETED)
    _old_case(skolskjuts, StatusKind.COMPLETED, 400)
    _old_case(skolskjuts, StatusKind.COMPLETED, 380)
    _old_case(skolskjuts, StatusKind.COMPLETED, 10)  # too recent
    _old_case(skolskjuts, StatusKind.SUBMITTED, 400)  # another status
    db.session.commit()
    login(client, "builder")
    page = client.get(_url(skolskjuts, "gallring/ny"))
    assert page.status_code == 200
    data = _rule_data(page.get_data(as_text=True), status_id=str(klart.id), days="365", preview="1")

    preview = client.post(_url(skolskjuts, "gallring/ny"), data=data)

    assert preview.status_code == 200
    assert "2 ärenden skulle gallras i natt" in _text(preview)
    assert db.session.scalar(select(RetentionRule)) is None  # a preview saves nothing
    assert 'value="365"' in _text(preview)

    data.pop("preview")
    saved = client.post(_url(skolskjuts, "gallring/ny"), data=data, follow_redirects=True)
    assert "Gallringsregeln har lagts till." in _text(saved)
    assert "2 ärenden skulle gallras i natt" in _text(saved)
    rule = db.session.scalar(select(RetentionRule))
    assert (rule.status_id, rule.days, rule.action, rule.enabled) == (klart.id, 365, RetentionAction.DELETE, True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_retention_rule_created"))
    assert entry.details["after"]["status"] == "Klart" and entry.details["after"]["days"] == 365


def test_rule_validation_errors_are_swedish_and_keep_the_typed_values(client, skolskjuts):
    login(client, "builder")
    page = client.get(_url(skolskjuts, "gallring/ny")).get_data(as_text=True)
    data = _rule_data(page, status_id="", days="tre", requires_approval="1", approver_id="")
    response = client.post(_url(skolskjuts, "gallring/ny"), data=data)
    assert response.status_code == 422
    html = _text(response)
    assert 'role="alert"' in html
    assert "Välj vilken status regeln gäller." in html
    assert "Ange ett helt antal dagar från 1 till 36500." in html
    assert "Välj vem som godkänner gallringslistorna." in html
    assert 'value="tre"' in html
    assert db.session.scalar(select(RetentionRule)) is None


def test_editing_a_rule_shows_the_new_count_before_saving_and_audits_the_change(client, skolskjuts):
    klart = factories.status(skolskjuts, StatusKind.COMPLETED)
    rule = RetentionRule(eservice_id=skolskjuts.id, status_id=klart.id, days=365, action=RetentionAction.DELETE)
    db.session.add(rule)
    _old_case(skolskjuts, StatusKind.COMPLETED, 400)
    _old_case(skolskjuts, StatusKind.COMPLETED, 100)
    db.session.commit()
    login(client, "builder")
    url = _url(skolskjuts, f"gallring/{rule.id}")
    listing = _text(client.get(_url(skolskjuts, "gallring")))
    assert "1 ärende skulle gallras i natt" in listing

    page = client.get(url).get_data(as_text=True)
    data = _rule_data(page, status_id=str(klart.id), days="90", action="anonymise", preview="1")
    assert "2 ärenden skulle anonymiseras i natt" in _text(client.post(url, data=data))
    assert db.session.get(RetentionRule, rule.id).days == 365

    data.pop("preview")
    client.post(url, data=data)
    db.session.expire_all()
    saved = db.session.get(RetentionRule, rule.id)
    assert (saved.days, saved.action) == (90, RetentionAction.ANONYMISE)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_retention_rule_changed"))
    assert entry.details["before"] == {"days": 365, "action": "delete"}
    assert entry.details["after"] == {"days": 90, "action": "anonymise"}


def test_a_rule_requiring_approval_names_its_approver(client, skolskjuts):
    klart = factories.status(skolskjuts, StatusKind.COMPLETED)
    hanna = db.session.scalar(select(StaffUser).where(StaffUser.username == "hanna"))
    login(client, "builder")
    page = client.get(_url(skolskjuts, "gallring/ny")).get_data(as_text=True)
    data = _rule_data(page, status_id=str(klart.id), days="30", requires_approval="1", approver_id=str(hanna.id))
    response = client.post(_url(skolskjuts, "gallring/ny"), data=data, follow_redirects=True)
    html = _text(response)
    assert "Godkänns av Hanna Berg" in html
    assert "0 ärenden skulle föreslås för gallring i natt" in html


def test_removing_a_rule_asks_first_and_is_audited(client, skolskjuts):
    klart = factories.status(skolskjuts, StatusKind.COMPLETED)
    rule = RetentionRule(eservice_id=skolskjuts.id, status_id=klart.id, days=365, action=RetentionAction.DELETE)
    db.session.add(rule)
    db.session.commit()
    rule_id = rule.id
    login(client, "builder")
    url = _url(skolskjuts, f"gallring/{rule_id}/ta-bort")
    page = client.get(url)
    assert "Ta bort gallringsregeln" in _text(page)
    response = client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True))}, follow_redirects=True)
    assert "Gallringsregeln har tagits bort." in _text(response)
    db.session.expire_all()
    assert db.session.get(RetentionRule, rule_id) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_retention_rule_deleted"))
    assert entry.details["before"]["days"] == 365 and "after" not in entry.details


def test_a_rule_of_another_e_service_is_404(client, skolskjuts):
    other = factories.eservice("Bygglov")
    klart = factories.status(other, StatusKind.COMPLETED)
    rule = RetentionRule(eservice_id=other.id, status_id=klart.id, days=10, action=RetentionAction.DELETE)
    db.session.add(rule)
    db.session.commit()
    login(client, "builder")
    assert client.get(_url(skolskjuts, f"gallring/{rule.id}")).status_code == 404


def test_a_handler_may_not_open_or_change_retention_rules(client, skolskjuts):
    token = _handler_token(client)
    assert client.get(_url(skolskjuts, "gallring")).status_code == 403
    assert client.get(_url(skolskjuts, "gallring/ny")).status_code == 403
    data = {"csrf_token": token, "status_id": "1", "days": "1", "action": "delete"}
    assert client.post(_url(skolskjuts, "gallring/ny"), data=data).status_code == 403
    assert db.session.scalar(select(RetentionRule)) is None


def test_the_hub_lists_both_sections(client, skolskjuts):
    login(client, "builder")
    response = client.get(f"/byggare/etjanster/{skolskjuts.id}")
    assert response.status_code == 200
    html = _text(response)
    assert _url(skolskjuts) in html and _url(skolskjuts, "gallring") in html
