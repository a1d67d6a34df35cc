"""Roles Admin, Builder and Handler with their permissions, written once and idempotently."""

from __future__ import annotations

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import PermissionView, Role, assoc_permissionview_role

import config
from backoffice import create_app
from backoffice.security import sync_roles
from shared import roles
from shared.db import db
from tests.conftest import empty_all_tables

SECURITY_TABLES = ("ab_role", "ab_permission", "ab_view_menu", "ab_permission_view", "ab_permission_view_role")


def row_counts() -> dict[str, int]:
    return {t: db.session.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in SECURITY_TABLES}


def grants(role_name: str) -> set[tuple[str, str]]:
    role = db.session.scalar(sa.select(Role).where(Role.name == role_name))
    return {(pv.view_menu.name, pv.permission.name) for pv in role.permissions}


def test_roles_exist_with_their_permissions(bo):
    names = set(db.session.scalars(sa.select(Role.name)))
    assert {roles.ADMIN, roles.BUILDER, roles.HANDLER, "Public"} <= names

    every = db.session.execute(sa.select(sa.func.count()).select_from(PermissionView)).scalar_one()
    assert len(grants(roles.ADMIN)) == every > 30
    for name in (roles.BUILDER, roles.HANDLER):
        assert {("StartView", "can_index"), ("Start", "menu_access"), ("StaffUserView", "can_userinfo")} <= grants(name)
        assert ("StaffUserView", "can_list") not in grants(name)
        assert ("RoleModelView", "can_edit") not in grants(name)
    assert grants("Public") == set()


def test_sync_is_idempotent_and_a_second_app_changes_nothing(bo, backoffice_overrides):
    before = row_counts()
    with bo.app_context():
        assert sync_roles(bo.appbuilder) == {"added": 0, "removed": 0}
    create_app(config.get_config("test"), overrides=backoffice_overrides)
    assert row_counts() == before


def test_sync_takes_away_what_the_code_no_longer_grants(bo):
    handler = db.session.scalar(sa.select(Role).where(Role.name == roles.HANDLER))
    extra = db.session.scalars(sa.select(PermissionView)).all()
    handler.permissions = list(extra)
    db.session.commit()
    with bo.app_context():
        result = sync_roles(bo.appbuilder)
    assert result["removed"] > 0
    db.session.expire_all()
    assert ("RoleModelView", "can_delete") not in grants(roles.HANDLER)
    assert ("StartView", "can_index") in grants(roles.HANDLER)


def test_without_update_perms_the_app_writes_nothing(bo, backoffice_overrides):
    """Production web workers (FAB_UPDATE_PERMS off) must not race to write roles."""
    empty_all_tables()
    create_app(config.get_config("test"), overrides={**backoffice_overrides, "FAB_UPDATE_PERMS": False})
    assert set(row_counts().values()) == {0}
    assert db.session.execute(sa.select(sa.func.count()).select_from(assoc_permissionview_role)).scalar_one() == 0


def test_sync_after_a_factory_made_the_role_first(bo):
    """Factories create a bare role row when missing; a later sync still fills it in."""
    empty_all_tables()
    from tests import factories

    factories.user("hanna")  # creates the Handler role, without permissions
    db.session.commit()
    with bo.app_context():
        sync_roles(bo.appbuilder)
    db.session.expire_all()
    assert ("StartView", "can_index") in grants(roles.HANDLER)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Role).where(Role.name == roles.HANDLER)) == 1


def test_fabs_own_permission_passes_find_nothing_left_to_do(bo):
    """sync_roles registers exactly what FAB's "update perms" would, only faster."""
    before = row_counts()
    with bo.app_context():
        bo.appbuilder.add_permissions(update_perms=True)
        bo.appbuilder.security_cleanup()
    assert row_counts() == before


def test_rows_of_removed_views_are_cleaned_up(bo):
    from flask_appbuilder.security.sqla.models import Permission, ViewMenu

    handler = db.session.scalar(sa.select(Role).where(Role.name == roles.HANDLER))
    stale = PermissionView(view_menu=ViewMenu(name="RemovedCaseView"), permission=Permission(name="can_gone"))
    handler.permissions.append(stale)
    db.session.commit()
    with bo.app_context():
        sync_roles(bo.appbuilder)
    db.session.expire_all()
    assert db.session.scalar(sa.select(ViewMenu).where(ViewMenu.name == "RemovedCaseView")) is None
    assert ("RemovedCaseView", "can_gone") not in grants(roles.HANDLER)
    assert ("StartView", "can_index") in grants(roles.HANDLER)


def test_starting_the_app_creates_the_roles(bo, backoffice_overrides):
    empty_all_tables()
    create_app(config.get_config("test"), overrides=backoffice_overrides)
    db.session.expire_all()
    assert {roles.ADMIN, roles.BUILDER, roles.HANDLER, "Public"} <= set(db.session.scalars(sa.select(Role.name)))
    assert ("StartView", "can_index") in grants(roles.HANDLER)
