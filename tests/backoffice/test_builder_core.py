"""E-tjänster for builders, core (issue 6 part A): e-services, categories, handler links,
status groups and statuses, handler groups — through the back office, logged in for real."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import inspect, select

from shared.db import db
from shared.models import AuditEntry, Category, EService, HandlerGroup, HandlerLink, Status, StatusGroup, StatusKind
from shared.services.statuses import ensure_standard_status_group
from tests import factories
from tests.backoffice.casehelp import sign_in


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def field_error(response, field: str) -> str:
    """The error message shown beside a field (id f-<field>-error), or ''."""
    html = response.get_data(as_text=True)
    match = re.search(rf'id="f-{field}-error"><span class="sr-only">[^<]*</span>([^<]*)</p>', html)
    return unescape(match.group(1)) if match else ""


def gone(obj) -> bool:
    """Whether the object's row is deleted (asked of the database, not of the session's memory)."""
    identity = inspect(obj).identity
    db.session.expire_all()
    return db.session.get(type(obj), identity) is None


def audit_actions() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def world(bo):
    return factories.world()


@pytest.fixture
def builder_client(world, client):
    token = sign_in(client, world.builder)
    client.token = token
    return client


ESERVICE_FORM = {
    "name": "Ansökan om bygglov",
    "slug": "",
    "description": "Sök bygglov för nybyggnad.",
    "enabled": "1",
    "login": "required",
    "due_days": "30",
    "messages_enabled": "1",
    "documents_enabled": "1",
    "colour_marking": "1",
    "general_mailbox": "Bygglov@Kommun.se",
    "process_owner": "Samhällsbyggnad",
    "information_owner": "Bygglovschefen",
    "last_reviewed_on": "2026-01-15",
}


# -- menu and access ------------------------------------------------------------------------


def test_the_builder_menu_shows_the_builder_screens(builder_client):
    page = text_of(builder_client.get("/byggare/etjanster/"))
    assert "E-tjänster" in page
    for url in ("/byggare/etjanster/", "/byggare/kategorier/", "/byggare/statusgrupper/", "/byggare/grupper/"):
        assert f'href="{url}"' in page


@pytest.mark.parametrize(
    "url",
    [
        "/byggare/etjanster/",
        "/byggare/etjanster/ny",
        "/byggare/kategorier/",
        "/byggare/statusgrupper/",
        "/byggare/grupper/",
    ],
)
def test_a_handler_gets_403_on_every_builder_screen(world, client, url):
    sign_in(client, world.hanna)
    assert client.get(url).status_code == 403


def test_a_handler_cannot_post_to_the_builder_screens(world, client):
    token = sign_in(client, world.hanna)
    eservice = world.eservice
    assert client.post("/byggare/etjanster/ny", data={**ESERVICE_FORM, "csrf_token": token}).status_code == 403
    assert client.get(f"/byggare/etjanster/{eservice.id}").status_code == 403
    assert client.get(f"/byggare/etjanster/{eservice.id}/handlaggare").status_code == 403
    response = client.post(
        f"/byggare/etjanster/{eservice.id}/handlaggare", data={"user_id": world.olle.id, "csrf_token": token}
    )
    assert response.status_code == 403
    assert db.session.scalar(select(EService).where(EService.name == "Ansökan om bygglov")) is None


def test_an_admin_may_use_the_builder_screens(world, client):
    sign_in(client, world.admin)
    assert client.get("/byggare/etjanster/").status_code == 200


def test_not_logged_in_goes_to_the_login_page(world, client):
    response = client.get("/byggare/etjanster/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


# -- e-services -------------------------------------------------------------------------------


def test_create_an_eservice_and_land_on_its_hub(world, builder_client):
    category = Category(name="Bygga och bo", sort_order=1)
    db.session.add(category)
    db.session.commit()
    form = builder_client.get("/byggare/etjanster/ny")
    assert form.status_code == 200
    page = text_of(form)
    assert 'for="f-name"' in page and "Ny e-tjänst" in page
    standard = ensure_standard_status_group()
    db.session.commit()
    response = builder_client.post(
        "/byggare/etjanster/ny",
        data={
            **ESERVICE_FORM,
            "category_id": str(category.id),
            "status_group_id": str(standard.id),
            "default_group_id": str(world.group.id),
            "csrf_token": builder_client.token,
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    eservice = db.session.scalar(select(EService).where(EService.name == "Ansökan om bygglov"))
    assert eservice is not None
    assert eservice.slug == "ansokan-om-bygglov"  # made from the name
    assert eservice.category_id == category.id and eservice.due_days == 30
    assert eservice.general_mailbox == "bygglov@kommun.se"
    assert eservice.colour_marking and eservice.messages_enabled and not eservice.subtasks_enabled
    assert eservice.login_required and not eservice.anonymous_allowed
    assert eservice.default_group_id == world.group.id
    hub = text_of(response)
    assert "E-tjänsten Ansökan om bygglov har skapats." in hub
    assert "Nyckeluppgifter" in hub and "Bygga och bo" in hub and "Samhällsbyggnad" in hub
    assert "E-tjänsten har inget formulär än." in hub
    assert f'href="/byggare/etjanster/{eservice.id}/handlaggare"' in hub
    assert "config_eservice_created" in audit_actions()


def test_the_form_shows_errors_beside_each_field_and_keeps_what_was_typed(world, builder_client):
    response = builder_client.post(
        "/byggare/etjanster/ny",
        data={
            **ESERVICE_FORM,
            "name": "Bygglov på nätet",
            "slug": "Bygglov på nätet",
            "due_days": "trettio",
            "general_mailbox": "inte en adress",
            "last_reviewed_on": "15/1 2026",
            "status_group_id": "",
            "csrf_token": builder_client.token,
        },
    )
    assert response.status_code == 200
    page = text_of(response)
    assert 'role="alert"' in page and 'href="#f-slug"' in page
    assert "a–z" in field_error(response, "slug")
    assert field_error(response, "due_days") == "Ange ett heltal."
    assert "giltig e-postadress" in field_error(response, "general_mailbox")
    assert "ÅÅÅÅ-MM-DD" in field_error(response, "last_reviewed_on")
    assert field_error(response, "status_group_id") == "Välj ett alternativ."
    assert 'value="Bygglov på nätet"' in page and 'value="trettio"' in page
    assert 'aria-invalid="true"' in page
    assert db.session.scalar(select(EService).where(EService.name == "Bygglov på nätet")) is None


def test_the_address_must_be_unique(world, builder_client):
    group = ensure_standard_status_group()
    db.session.commit()
    response = builder_client.post(
        "/byggare/etjanster/ny",
        data={
            **ESERVICE_FORM,
            "slug": world.eservice.slug,
            "status_group_id": group.id,
            "csrf_token": builder_client.token,
        },
    )
    assert "redan adressen" in field_error(response, "slug")


def test_edit_an_eservice_and_the_audit_log_names_the_change(world, builder_client):
    eservice = world.eservice
    form = builder_client.get(f"/byggare/etjanster/{eservice.id}/andra")
    assert form.status_code == 200
    assert f'value="{eservice.slug}"' in form.get_data(as_text=True)
    response = builder_client.post(
        f"/byggare/etjanster/{eservice.id}/andra",
        data={
            "name": "Skolskjuts 2027",
            "slug": eservice.slug,
            "status_group_id": eservice.status_group_id,
            "login": "anonymous",
            "subtasks_enabled": "1",
            "due_days": "",
            "csrf_token": builder_client.token,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert eservice.name == "Skolskjuts 2027"
    assert eservice.anonymous_allowed and not eservice.login_required
    assert eservice.subtasks_enabled and not eservice.enabled and eservice.due_days is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_eservice_changed"))
    assert entry.user_id == world.builder.id
    assert entry.details["before"]["name"] == "Skolskjuts" and entry.details["after"]["name"] == "Skolskjuts 2027"


def test_the_list_searches_and_filters(world, builder_client):
    category = Category(name="Skola")
    db.session.add(category)
    world.eservice.category = category
    factories.eservice("Bygglov för altan", enabled=False)
    db.session.commit()
    page = text_of(builder_client.get("/byggare/etjanster/"))
    assert "Skolskjuts" in page and "Bygglov för altan" in page
    page = text_of(builder_client.get("/byggare/etjanster/?q=altan"))
    assert "Bygglov för altan" in page and "Skolskjuts" not in page
    page = text_of(builder_client.get(f"/byggare/etjanster/?kategori={category.id}"))
    assert "Skolskjuts" in page and "Bygglov för altan" not in page
    page = text_of(builder_client.get("/byggare/etjanster/?aktiv=nej"))
    assert "Bygglov för altan" in page and ">Skolskjuts<" not in page
    page = text_of(builder_client.get("/byggare/etjanster/?q=finns-inte"))
    assert "Ingen e-tjänst matchar filtret." in page


def test_the_hub_lists_the_versions_and_unknown_eservices_are_404(world, builder_client):
    page = text_of(builder_client.get(f"/byggare/etjanster/{world.eservice.id}"))
    assert "Versioner" in page and "Publicerad" in page
    assert builder_client.get("/byggare/etjanster/999999").status_code == 404
    assert builder_client.get("/byggare/etjanster/999999/andra").status_code == 404


# -- handler links ----------------------------------------------------------------------------


def test_link_a_handler_restricted_for_a_period(world, builder_client):
    eservice = world.eservice
    new = factories.user("nina", first_name="Nina", last_name="Nord")
    db.session.commit()
    url = f"/byggare/etjanster/{eservice.id}/handlaggare"
    page = text_of(builder_client.get(url))
    assert "Hanna Berg" in page and "Skolskjutsgruppen" in page
    response = builder_client.post(
        url,
        data={
            "user_id": new.id,
            "restricted": "1",
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "csrf_token": builder_client.token,
        },
        follow_redirects=True,
    )
    assert "Nina Nord är nu handläggare för e-tjänsten." in text_of(response)
    link = db.session.scalar(select(HandlerLink).where(HandlerLink.user_id == new.id))
    assert link.restricted and link.valid_to.isoformat() == "2026-12-31"
    assert "config_handler_link_created" in audit_actions()

    edit = builder_client.post(
        f"{url}/{link.id}",
        data={"valid_from": "2026-01-01", "valid_to": "", "csrf_token": builder_client.token},
    )
    assert edit.status_code == 302
    db.session.expire_all()
    assert not link.restricted and link.valid_to is None

    removed = builder_client.post(f"{url}/{link.id}/ta-bort", data={"csrf_token": builder_client.token})
    assert removed.status_code == 302
    assert gone(link)
    assert audit_actions()[-1] == "config_handler_link_deleted"


def test_handler_link_validation(world, builder_client):
    eservice = world.eservice
    builder = world.builder
    url = f"/byggare/etjanster/{eservice.id}/handlaggare"
    both = builder_client.post(
        url, data={"user_id": world.gun.id, "group_id": world.group.id, "csrf_token": builder_client.token}
    )
    assert field_error(both, "user_id") == "Välj antingen en handläggare eller en grupp, inte båda."
    neither = builder_client.post(url, data={"csrf_token": builder_client.token})
    assert field_error(neither, "user_id") == "Välj antingen en handläggare eller en grupp, inte båda."
    not_handler = builder_client.post(url, data={"user_id": builder.id, "csrf_token": builder_client.token})
    assert field_error(not_handler, "user_id") == "Välj en användare med rollen Handläggare."
    period = builder_client.post(
        url,
        data={
            "user_id": world.gun.id,
            "valid_from": "2026-06-01",
            "valid_to": "2026-05-31",
            "csrf_token": builder_client.token,
        },
    )
    assert field_error(period, "valid_to") == "Sista dagen kan inte komma före första dagen."
    again = builder_client.post(url, data={"user_id": world.hanna.id, "csrf_token": builder_client.token})
    assert "redan handläggare" in field_error(again, "user_id")
    assert db.session.scalar(select(HandlerLink).where(HandlerLink.user_id == world.gun.id)) is None


# -- categories -------------------------------------------------------------------------------


def test_categories_add_edit_delete(world, builder_client):
    token = builder_client.token
    created = builder_client.post(
        "/byggare/kategorier/ny", data={"name": "Skola och förskola", "sort_order": "2", "csrf_token": token}
    )
    assert created.status_code == 302
    category = db.session.scalar(select(Category).where(Category.name == "Skola och förskola"))
    assert category.sort_order == 2
    duplicate = builder_client.post("/byggare/kategorier/ny", data={"name": "skola och FÖRSKOLA", "csrf_token": token})
    assert "Det finns redan en kategori" in field_error(duplicate, "name")
    bad_order = builder_client.post(
        f"/byggare/kategorier/{category.id}", data={"name": "Skola", "sort_order": "x", "csrf_token": token}
    )
    assert field_error(bad_order, "sort_order") == "Ange ett heltal."
    builder_client.post(
        f"/byggare/kategorier/{category.id}", data={"name": "Skola", "sort_order": "1", "csrf_token": token}
    )
    world.eservice.category_id = category.id
    db.session.commit()
    listing = text_of(builder_client.get("/byggare/kategorier/"))
    assert "Skola" in listing
    confirm = builder_client.get(f"/byggare/kategorier/{category.id}/ta-bort")
    assert "Ta bort kategorin Skola?" in text_of(confirm)
    builder_client.post(f"/byggare/kategorier/{category.id}/ta-bort", data={"csrf_token": token})
    db.session.expire_all()
    assert gone(category)
    assert world.eservice.category_id is None
    actions = audit_actions()
    assert actions.count("config_category_created") == 1 and "config_category_deleted" in actions


# -- status groups and statuses ------------------------------------------------------------


def test_a_new_status_group_starts_with_the_standard_statuses(world, builder_client):
    token = builder_client.token
    response = builder_client.post(
        "/byggare/statusgrupper/ny", data={"name": "Bygglov", "csrf_token": token}, follow_redirects=True
    )
    group = db.session.scalar(select(StatusGroup).where(StatusGroup.name == "Bygglov"))
    assert [s.kind for s in group.statuses][:2] == [StatusKind.DRAFT, StatusKind.SUBMITTED]
    page = text_of(response)
    assert "Statusgruppen Bygglov" in page and "Under behandling" in page
    duplicate = builder_client.post("/byggare/statusgrupper/ny", data={"name": "bygglov", "csrf_token": token})
    assert "Det finns redan en statusgrupp" in field_error(duplicate, "name")


def test_add_change_move_and_delete_a_status(world, builder_client):
    token = builder_client.token
    group = world.eservice.status_group
    base = f"/byggare/statusgrupper/{group.id}"
    form = builder_client.get(f"{base}/statusar/ny")
    assert form.status_code == 200 and 'for="f-kind"' in form.get_data(as_text=True)
    added = builder_client.post(
        f"{base}/statusar/ny",
        data={
            "name": "Beslut fattat",
            "citizen_label": "Beslut är fattat",
            "kind": "completed",
            "deletable_by": "handlers",
            "applicant_may_message": "1",
            "applicant_message_days": "14",
            "is_final": "1",
            "default_message": "Beslutet finns bland handlingarna.",
            "csrf_token": token,
        },
    )
    assert added.status_code == 302
    status = db.session.scalar(select(Status).where(Status.name == "Beslut fattat"))
    assert status.kind == StatusKind.COMPLETED and status.is_final and status.applicant_message_days == 14
    assert status.sort_order == max(s.sort_order for s in group.statuses)

    builder_client.post(f"{base}/statusar/{status.id}/flytta", data={"direction": "up", "csrf_token": token})
    db.session.expire_all()
    ordered = sorted(group.statuses, key=lambda s: s.sort_order)
    assert ordered[-2].name == "Beslut fattat"

    changed = builder_client.post(
        f"{base}/statusar/{status.id}",
        data={"name": "Beslutat", "kind": "completed", "deletable_by": "nobody", "csrf_token": token},
    )
    assert changed.status_code == 302
    db.session.expire_all()
    assert status.name == "Beslutat" and not status.applicant_may_message and status.deletable_by.value == "nobody"

    page = text_of(builder_client.get(base))
    assert "Beslutat" in page and "Flytta upp" in page

    builder_client.post(f"{base}/statusar/{status.id}/ta-bort", data={"csrf_token": token})
    assert gone(status)
    actions = audit_actions()
    assert {"config_status_created", "config_status_changed", "config_status_deleted"} <= set(actions)


def test_status_validation(world, builder_client):
    token = builder_client.token
    group = world.eservice.status_group
    base = f"/byggare/statusgrupper/{group.id}/statusar"
    response = builder_client.post(
        f"{base}/ny",
        data={
            "name": "Inskickat",
            "kind": "draft",
            "is_final": "1",
            "applicant_message_days": "5",
            "csrf_token": token,
        },
    )
    assert "redan en status med namnet Inskickat" in field_error(response, "name")
    assert field_error(response, "is_final") == "En status av typen Sparat kan inte avsluta ärendet."
    assert "antalet dagar tomt" in field_error(response, "applicant_message_days")
    no_kind = builder_client.post(f"{base}/ny", data={"name": "Ny", "csrf_token": token})
    assert field_error(no_kind, "kind") == "Välj ett alternativ."


def test_a_status_in_use_or_the_only_one_of_its_kind_cannot_be_deleted(world, builder_client):
    token = builder_client.token
    eservice = world.eservice
    factories.case(eservice, citizen=world.citizen)
    db.session.commit()
    group = eservice.status_group
    submitted = factories.status(eservice, StatusKind.SUBMITTED)
    in_progress = factories.status(eservice, StatusKind.IN_PROGRESS)
    factories.case(eservice, citizen=world.citizen, status_kind=StatusKind.IN_PROGRESS)
    db.session.commit()
    base = f"/byggare/statusgrupper/{group.id}/statusar"

    refused = builder_client.post(f"{base}/{submitted.id}/ta-bort", data={"csrf_token": token}, follow_redirects=True)
    assert "enda status av typen Inskickat" in text_of(refused)
    assert not gone(submitted)
    in_use = builder_client.post(f"{base}/{in_progress.id}/ta-bort", data={"csrf_token": token}, follow_redirects=True)
    assert "därför inte kan tas bort" in text_of(in_use)
    assert not gone(in_progress)

    kind_change = builder_client.post(
        f"{base}/{submitted.id}", data={"name": "Inskickat", "kind": "in_progress", "csrf_token": token}
    )
    assert "enda status av typen Inskickat" in field_error(kind_change, "kind")


def test_a_status_group_in_use_cannot_be_deleted(world, builder_client):
    token = builder_client.token
    group = world.eservice.status_group
    response = builder_client.post(
        f"/byggare/statusgrupper/{group.id}/ta-bort", data={"csrf_token": token}, follow_redirects=True
    )
    assert "används av e-tjänsterna" in text_of(response)
    assert not gone(group)
    spare = StatusGroup(name="Reserv")
    db.session.add(spare)
    db.session.commit()
    builder_client.post(f"/byggare/statusgrupper/{spare.id}/ta-bort", data={"csrf_token": token})
    assert gone(spare)


def test_an_eservice_cannot_use_a_status_group_without_saved_and_submitted(world, builder_client):
    empty = StatusGroup(name="Tom")
    db.session.add(empty)
    db.session.commit()
    eservice = world.eservice
    response = builder_client.post(
        f"/byggare/etjanster/{eservice.id}/andra",
        data={
            "name": eservice.name,
            "slug": eservice.slug,
            "status_group_id": empty.id,
            "csrf_token": builder_client.token,
        },
    )
    assert "Sparat" in field_error(response, "status_group_id")


# -- handler groups ---------------------------------------------------------------------------


def test_handler_groups_with_members_and_mailbox(world, builder_client):
    token = builder_client.token
    bad = builder_client.post(
        "/byggare/grupper/ny", data={"name": "Bygglovsgruppen", "mailbox_email": "bygglov@", "csrf_token": token}
    )
    assert "giltig e-postadress" in field_error(bad, "mailbox_email")
    assert 'value="bygglov@"' in bad.get_data(as_text=True)
    created = builder_client.post(
        "/byggare/grupper/ny",
        data={"name": "Bygglovsgruppen", "mailbox_email": "Bygglov@Example.org", "csrf_token": token},
    )
    assert created.status_code == 302
    group = db.session.scalar(select(HandlerGroup).where(HandlerGroup.name == "Bygglovsgruppen"))
    assert group.mailbox_email == "bygglov@example.org"
    base = f"/byggare/grupper/{group.id}"

    builder_client.post(f"{base}/medlemmar", data={"user_id": world.hanna.id, "notify": "1", "csrf_token": token})
    builder_client.post(f"{base}/medlemmar", data={"user_id": world.olle.id, "csrf_token": token})
    db.session.expire_all()
    assert {(m.user.username, m.notify) for m in group.members} == {("hanna", True), ("olle", False)}
    not_handler = builder_client.post(f"{base}/medlemmar", data={"user_id": world.builder.id, "csrf_token": token})
    assert field_error(not_handler, "user_id") == "Välj en användare med rollen Handläggare."

    builder_client.post(f"{base}/medlemmar/{world.olle.id}/avisering", data={"notify": "1", "csrf_token": token})
    builder_client.post(f"{base}/medlemmar/{world.hanna.id}/ta-bort", data={"csrf_token": token})
    db.session.expire_all()
    assert {(m.user.username, m.notify) for m in group.members} == {("olle", True)}
    page = text_of(builder_client.get(base))
    assert "Olle Ek" in page and "bygglov@example.org" in page

    builder_client.post(f"{base}/andra", data={"name": "Bygglov", "csrf_token": token})
    db.session.expire_all()
    assert group.name == "Bygglov" and group.mailbox_email is None
    builder_client.post(f"{base}/ta-bort", data={"csrf_token": token})
    assert gone(group)
    actions = audit_actions()
    assert actions.count("config_group_changed") >= 4 and "config_group_deleted" in actions


def test_a_group_with_assigned_cases_cannot_be_deleted(world, builder_client):
    factories.case(world.eservice, citizen=world.citizen, groups=[world.group])
    db.session.commit()
    response = builder_client.post(
        f"/byggare/grupper/{world.group.id}/ta-bort", data={"csrf_token": builder_client.token}, follow_redirects=True
    )
    assert "tilldelade gruppen Skolskjutsgruppen" in text_of(response)
    assert not gone(world.group)


def test_the_hub_links_only_the_sections_that_exist(world, builder_client, monkeypatch):
    from backoffice.views import eservice_sections

    monkeypatch.setattr(
        eservice_sections,
        "SECTIONS",
        [*eservice_sections.SECTIONS, ("NoSuchView.index", "Finns inte")],
    )
    page = text_of(builder_client.get(f"/byggare/etjanster/{world.eservice.id}"))
    assert "Handläggare och grupper" in page and "Finns inte" not in page


def test_a_handler_has_no_builder_menu(world, client):
    sign_in(client, world.hanna)
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'href="/arenden/"' in page  # the menu is there
    assert "/byggare/etjanster/" not in page and "/byggare/grupper/" not in page


def test_the_audit_log_tells_who_changed_what_in_swedish(world, client):
    token = sign_in(client, world.builder)
    client.post("/byggare/kategorier/ny", data={"name": "Skola", "sort_order": "1", "csrf_token": token})
    category = db.session.scalar(select(Category).where(Category.name == "Skola"))
    client.post(f"/byggare/kategorier/{category.id}", data={"name": "Skola och barnomsorg", "csrf_token": token})
    client.get("/logout/")
    sign_in(client, world.admin)
    page = text_of(client.get("/granskningslogg/?user=builder"))
    assert "Kategori skapad" in page and "Kategori ändrad" in page
    assert "Före" in page and "Efter" in page and "Skola och barnomsorg" in page


def test_builder_texts_are_escaped(world, builder_client):
    payload = "<script>window.__xss=1</script>"
    world.eservice.description = payload
    world.group.name = payload
    world.eservice.status_group.statuses[0].name = payload
    db.session.commit()
    for url in (
        f"/byggare/etjanster/{world.eservice.id}",
        f"/byggare/etjanster/{world.eservice.id}/handlaggare",
        f"/byggare/statusgrupper/{world.eservice.status_group_id}",
        "/byggare/grupper/",
    ):
        html = builder_client.get(url).get_data(as_text=True)
        assert payload not in html and "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html, url
