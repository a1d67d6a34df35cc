"""FAB's permission checks answered from the roles' permissions read once per request
(EtjanstSecurityManager.exist_permission_on_roles): the same answers, one statement per
page instead of one per menu entry, and a change to a role shows on the next request."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import PermissionView, Role
from sqlalchemy import event
from sqlalchemy.engine import Engine

from shared import roles
from shared.db import db
from tests import factories
from tests.backoffice.conftest import login

OVERVIEW = "/arenden/"


@contextmanager
def permission_statements():
    """The statements meanwhile that read the roles' permissions (FAB's table of grants)."""
    seen: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if "ab_permission_view_role" in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", remember)


def test_a_page_reads_the_permissions_once_and_shows_what_the_role_may(client, bo):
    world = factories.world()
    login(client, world.hanna.username)
    client.get(OVERVIEW)  # the first page after the login may load the user
    with permission_statements() as seen:
        page = client.get(OVERVIEW)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert len(seen) == 1, seen
    # The menu still follows the role: the handler's entries, not the administrator's.
    assert f'href="{OVERVIEW}"' in html
    assert 'href="/drift/jobb' not in html
    assert client.get("/drift/jobb/").status_code in (302, 403)

    client.get("/logout/")
    login(client, world.admin.username)
    html = client.get(OVERVIEW).get_data(as_text=True)
    assert 'href="/drift/jobb' in html


def test_a_permission_taken_from_a_role_counts_from_the_next_request(client, bo):
    world = factories.world()
    login(client, world.hanna.username)
    assert client.get(OVERVIEW).status_code == 200

    handler = db.session.scalar(sa.select(Role).where(Role.name == roles.HANDLER))
    handler.permissions = [
        pv
        for pv in handler.permissions
        if not (pv.view_menu.name == "CaseOverviewView" and pv.permission.name == "can_list")
    ]
    db.session.commit()
    assert client.get(OVERVIEW).status_code == 403

    listing = db.session.scalar(
        sa.select(PermissionView)
        .join(PermissionView.view_menu)
        .join(PermissionView.permission)
        .where(sa.text("ab_view_menu.name = 'CaseOverviewView' AND ab_permission.name = 'can_list'"))
    )
    handler.permissions.append(listing)
    db.session.commit()
    assert client.get(OVERVIEW).status_code == 200
