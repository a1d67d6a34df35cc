"""Min frånvaro, Frånvarohantering and Gruppbrevlåda (F-GRP-3), through real logins."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask_appbuilder.security.sqla.models import Permission, PermissionView, ViewMenu
from sqlalchemy import select

from shared import clock, roles
from shared.db import db
from shared.models import Absence, Message
from shared.services import access, messages
from tests import factories
from tests.backoffice.casehelp import make_setup, sign_in, text_of

DAY = dt.timedelta(days=1)


def iso(day: dt.date) -> str:
    return f"{day:%Y-%m-%d}"


def absences_of(user) -> list[Absence]:
    db.session.expire_all()
    return list(db.session.scalars(select(Absence).where(Absence.user_id == user.id).order_by(Absence.id)))


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else None


@pytest.fixture
def setup(bo):
    """make_setup's Skolskjuts world, with Hanna also in the group Skolskjutsgruppen (Gun's)."""
    made = make_setup()
    made.world.group.members.append(factories.GroupMember(user=made.world.hanna))
    db.session.commit()
    return made


# -- Min frånvaro --------------------------------------------------------------------------------------


def test_a_handler_sets_her_absence_and_the_form_then_shows_it(client, setup):
    world = setup.world
    token = sign_in(client, world.hanna)
    page = client.get("/franvaro/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Min frånvaro" in html and "Ny frånvaro" in html
    assert input_value(html, "starts_on") == iso(clock.today())  # a new absence starts today
    assert f'<option value="{world.group.id}">Skolskjutsgruppen</option>' in html

    response = client.post(
        "/franvaro/",
        data={
            "csrf_token": token,
            "starts_on": iso(clock.today()),
            "ends_on": iso(clock.today() + 7 * DAY),
            "forward_to_group_id": str(world.group.id),
            "auto_reply": "Jag är tillbaka om en vecka.",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/franvaro/")
    [absence] = absences_of(world.hanna)
    assert absence.forward_to_group_id == world.group.id and absence.auto_reply == "Jag är tillbaka om en vecka."

    page = client.get("/franvaro/")
    html, text = page.get_data(as_text=True), text_of(page)
    assert "Din frånvaro är sparad." in text
    assert f"Du är frånvarande t.o.m. {iso(absence.ends_on)}" in text
    assert "Meddelanden från sökande vidarebefordras till Skolskjutsgruppen" in text
    # The form shows the current absence, to change it.
    assert f"Ändra frånvaron {iso(absence.starts_on)} – {iso(absence.ends_on)}" in text
    assert input_value(html, "absence_id") == str(absence.id)
    assert input_value(html, "ends_on") == iso(absence.ends_on)
    assert f'<option value="{world.group.id}" selected>' in html
    assert "Jag är tillbaka om en vecka.</textarea>" in html


def test_validation_errors_keep_what_was_typed(client, setup):
    world = setup.world
    token = sign_in(client, world.hanna)
    long_reply = "Hej! " * 300  # 1500 characters
    response = client.post(
        "/franvaro/",
        data={
            "csrf_token": token,
            "starts_on": iso(clock.today() + 5 * DAY),
            "ends_on": iso(clock.today() + 2 * DAY),
            "forward_to_group_id": str(world.group.id),
            "auto_reply": long_reply,
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    text = text_of(response)
    assert "Sista dagen kan inte vara före första dagen." in text
    assert "Autosvaret får vara högst 1000 tecken (nu 1499)." in text
    assert 'id="error-summary"' in html and 'href="#ends_on"' in html and 'href="#auto_reply"' in html
    assert input_value(html, "starts_on") == iso(clock.today() + 5 * DAY)
    assert input_value(html, "ends_on") == iso(clock.today() + 2 * DAY)
    assert long_reply.strip() in html
    assert f'<option value="{world.group.id}" selected>' in html
    assert re.search(r'id="ends_on"[^>]*aria-invalid="true"[^>]*aria-describedby="ends_on-help ends_on-error"', html)
    assert absences_of(world.hanna) == []


def test_an_overlapping_absence_is_refused_with_the_other_period(client, setup):
    world = setup.world
    factories.absence(world.hanna, starts_on=clock.today(), ends_on=clock.today() + 3 * DAY)
    token = sign_in(client, world.hanna)
    response = client.post(
        "/franvaro/",
        data={"csrf_token": token, "starts_on": iso(clock.today() + 2 * DAY), "ends_on": iso(clock.today() + 9 * DAY)},
    )
    assert response.status_code == 422
    assert "Perioden överlappar din frånvaro" in text_of(response)
    assert len(absences_of(world.hanna)) == 1


def test_a_handler_ends_her_absence(client, setup):
    world = setup.world
    absence = factories.absence(world.hanna, forward_to=world.group)
    token = sign_in(client, world.hanna)
    response = client.post(f"/franvaro/{absence.id}/avsluta", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert "Frånvaron för Hanna Berg är avslutad." in text_of(response)
    [ended] = absences_of(world.hanna)
    assert ended.ended_at is not None and ended.ends_on == clock.today()
    assert "Du är frånvarande" not in text_of(response)


def test_a_handler_can_neither_end_nor_open_a_colleagues_absence(client, setup):
    world = setup.world
    olles = factories.absence(world.olle)
    token = sign_in(client, world.hanna)
    assert client.post(f"/franvaro/{olles.id}/avsluta", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/franvaro/?andra={olles.id}").status_code == 404
    assert absences_of(world.olle)[0].ended_at is None
    # Nor set one for a colleague through the form of Frånvarohantering.
    assert client.get("/franvaro/hantera").status_code == 403
    response = client.post(
        "/franvaro/hantera",
        data={
            "csrf_token": token,
            "user_id": str(world.olle.id),
            "starts_on": iso(clock.today()),
            "ends_on": iso(clock.today()),
        },
    )
    assert response.status_code == 403
    assert len(absences_of(world.olle)) == 1


# -- Frånvarohantering ---------------------------------------------------------------------------


def test_an_admin_switches_forwarding_on_for_a_colleague_off_sick(client, setup):
    world = setup.world
    token = sign_in(client, world.admin)
    page = client.get("/franvaro/hantera")
    assert page.status_code == 200
    assert "Frånvarohantering" in text_of(page) and "Ingen pågående eller kommande frånvaro." in text_of(page)
    form = client.get(f"/franvaro/hantera?person={world.olle.id}")
    html = form.get_data(as_text=True)
    assert "Frånvaro för Olle Ek" in text_of(form)
    assert input_value(html, "user_id") == str(world.olle.id)
    assert f'<option value="{world.group.id}">Skolskjutsgruppen</option>' in html  # any group for an admin

    response = client.post(
        "/franvaro/hantera",
        data={
            "csrf_token": token,
            "user_id": str(world.olle.id),
            "starts_on": iso(clock.today()),
            "ends_on": iso(clock.today() + 2 * DAY),
            "forward_to_group_id": str(world.group.id),
            "auto_reply": "",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/franvaro/hantera")
    [absence] = absences_of(world.olle)
    assert absence.set_by_id == world.admin.id and absence.forward_to_group_id == world.group.id
    listing = client.get("/franvaro/hantera")
    row = listing.get_data(as_text=True).split(f'data-absence="{absence.id}"')[1].split("</tr>")[0]
    assert "Olle Ek" in row and "Skolskjutsgruppen" in row and "Admin Testsson" in row and "Standardtext" in row


def test_the_manager_form_keeps_the_typed_values_on_errors(client, setup):
    world = setup.world
    token = sign_in(client, world.admin)
    response = client.post(
        "/franvaro/hantera",
        data={
            "csrf_token": token,
            "user_id": str(world.olle.id),
            "starts_on": iso(clock.today() - 10 * DAY),
            "ends_on": iso(clock.today() - 3 * DAY),
            "auto_reply": "Olle är sjuk.",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Sista dagen har redan passerat." in text_of(response)
    assert "Frånvaro för Olle Ek" in text_of(response)
    assert input_value(html, "starts_on") == iso(clock.today() - 10 * DAY)
    assert "Olle är sjuk.</textarea>" in html
    assert absences_of(world.olle) == []


def test_a_role_with_the_permission_manages_absence(client, setup):
    """Hantera frånvaro given to a role of its own in FAB's Roles screen (here: the rows, as that screen writes them)."""
    world = setup.world
    pv = db.session.scalar(
        select(PermissionView)
        .join(Permission, Permission.id == PermissionView.permission_id)
        .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
        .where(Permission.name == access.MANAGE_ABSENCES[1], ViewMenu.name == access.MANAGE_ABSENCES[0])
    )
    assert pv is not None  # the back office registered the permission
    role = factories.role("Frånvaroadministratör")
    role.permissions.append(pv)
    maja = factories.user("maja", role_names=(roles.HANDLER, "Frånvaroadministratör"), first_name="Maja")
    db.session.commit()
    token = sign_in(client, maja)
    assert client.get("/franvaro/hantera").status_code == 200
    assert "Hantera kollegors frånvaro" in text_of(client.get("/franvaro/"))
    form = client.get(f"/franvaro/hantera?person={world.hanna.id}").get_data(as_text=True)
    # Not an administrator: only the colleague's own groups.
    assert f'<option value="{world.group.id}">Skolskjutsgruppen</option>' in form
    response = client.post(
        "/franvaro/hantera",
        data={
            "csrf_token": token,
            "user_id": str(world.hanna.id),
            "starts_on": iso(clock.today()),
            "ends_on": iso(clock.today() + DAY),
            "forward_to_group_id": str(world.group.id),
        },
    )
    assert response.status_code == 302
    [absence] = absences_of(world.hanna)
    assert absence.set_by_id == maja.id
    response = client.post(f"/franvaro/hantera/{absence.id}/avsluta", data={"csrf_token": token}, follow_redirects=True)
    assert "Frånvaron för Hanna Berg är avslutad." in text_of(response)


def test_the_menu_offers_management_only_with_the_permission(client, setup):
    sign_in(client, setup.world.hanna)
    html = client.get("/start/").get_data(as_text=True)
    assert "Min frånvaro" in html and "Gruppbrevlåda" in html and "Frånvarohantering" not in html
    client.get("/logout/")
    sign_in(client, setup.world.admin)
    html = client.get("/start/").get_data(as_text=True)
    assert "Frånvarohantering" in html


# -- Gruppbrevlåda ----------------------------------------------------------------------------------


def forward_one(setup, body: str = "Här kommer intyget från skolan.") -> Message:
    factories.absence(setup.world.hanna, forward_to=setup.world.group)
    db.session.commit()
    return messages.reply_as_citizen(setup.case.id, body, citizen=setup.world.citizen)


def test_a_member_takes_over_a_forwarded_message_and_answers_it(client, setup):
    world = setup.world
    message = forward_one(setup)
    token = sign_in(client, world.gun)

    boxes = client.get("/gruppbrevlada/")
    assert boxes.status_code == 200
    row = boxes.get_data(as_text=True).split(f'data-group="{world.group.id}"')[1].split("</tr>")[0]
    assert "Skolskjutsgruppen" in row and 'data-count="1"' in row

    box = client.get(f"/gruppbrevlada/{world.group.id}")
    assert box.status_code == 200
    assert "1 meddelande väntar på att tas över." in text_of(box)
    row = box.get_data(as_text=True).split(f'data-message="{message.id}"')[1].split("</tr>")[0]
    assert str(setup.case.number) in row and "Skolskjuts" in row and "Hanna Berg" in row
    assert "Här kommer intyget från skolan." in row and "Ta över" in row

    response = client.post(
        f"/gruppbrevlada/meddelande/{message.id}/ta-over", data={"csrf_token": token, "group_id": world.group.id}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/arenden/{setup.case.id}/meddelanden#meddelande-{message.id}")
    case_page = client.get(f"/arenden/{setup.case.id}/meddelanden")
    assert "Du har tagit över meddelandet" in text_of(case_page)
    assert 'class="bo-message-form"' in case_page.get_data(as_text=True)  # Gun may write to the applicant now
    answer = client.post(
        f"/arenden/{setup.case.id}/meddelanden", data={"csrf_token": token, "body": "Tack, vi har fått intyget."}
    )
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Message).where(Message.author_user_id == world.gun.id)).body == (
        "Tack, vi har fått intyget."
    )

    box = client.get(f"/gruppbrevlada/{world.group.id}")
    row = box.get_data(as_text=True).split(f'data-message="{message.id}"')[1].split("</tr>")[0]
    assert "Gun Ström" in row and "Ta över" not in row
    assert "0 meddelanden väntar på att tas över." in text_of(box)


def test_non_members_do_not_see_the_mailbox(client, setup):
    world = setup.world
    message = forward_one(setup)
    token = sign_in(client, world.olle)
    assert "Skolskjutsgruppen" not in text_of(client.get("/gruppbrevlada/"))
    assert client.get(f"/gruppbrevlada/{world.group.id}").status_code == 404
    response = client.post(f"/gruppbrevlada/meddelande/{message.id}/ta-over", data={"csrf_token": token})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Message, message.id).forward_taken_by_id is None


def test_a_message_already_taken_over_is_refused_with_who_took_it(client, setup):
    world = setup.world
    message = forward_one(setup)
    from shared.services import absences

    absences.take_over_message(message.id, actor=world.gun)
    token = sign_in(client, world.hanna)
    response = client.post(
        f"/gruppbrevlada/meddelande/{message.id}/ta-over",
        data={"csrf_token": token, "group_id": world.group.id},
        follow_redirects=True,
    )
    assert response.request.path == f"/gruppbrevlada/{world.group.id}"
    assert "Gun Ström har redan tagit över meddelandet" in text_of(response)


def test_the_start_page_says_i_am_away_and_what_waits_in_my_mailboxes(client, setup):
    world = setup.world
    forward_one(setup)
    sign_in(client, world.hanna)
    page = client.get("/start/")
    text = text_of(page)
    assert f"Du är frånvarande t.o.m. {iso(clock.today() + 7 * DAY)}." in text
    assert "Ändra eller avsluta din frånvaro" in text
    item = page.get_data(as_text=True).split(f'data-group="{world.group.id}"')[1].split("</li>")[0]
    assert "Skolskjutsgruppen</a>:" in item and "1 meddelande väntar på att tas över." in item
    client.get("/logout/")
    sign_in(client, world.olle)
    text = text_of(client.get("/start/"))
    assert "frånvarande" not in text and "Gruppbrevlådor" not in text


def test_typed_text_comes_out_escaped(client, setup):
    world = setup.world
    payload = '<script>window.__xss=1</script><img src=x onerror="alert(1)">'
    factories.absence(world.hanna, forward_to=world.group, auto_reply="Borta " + payload)
    db.session.commit()
    messages.reply_as_citizen(setup.case.id, "Hej " + payload, citizen=world.citizen)
    sign_in(client, world.hanna)
    for url in ("/franvaro/", f"/gruppbrevlada/{world.group.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html, url
        assert "<script>window.__xss" not in html and "<img src=x" not in html, url
