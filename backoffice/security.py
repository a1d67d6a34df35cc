"""The back office's security: Flask-AppBuilder's SecurityManager on our user model, and the roles.

``EtjanstSecurityManager`` sets class attributes (FAB_SECURITY_MANAGER_CLASS points
here), makes FAB's API-key check return our user model, and answers FAB's permission
checks from the roles' permissions read once per request. The roles Admin, Builder and
Handler are ordinary database roles whose permissions are written by ``sync_roles``: from
``ROLE_PERMISSIONS`` below for Builder and Handler, and every permission there is for Admin
(FAB's AUTH_ROLE_ADMIN). The Roles screen thus shows what each role really may do, and an
administrator can build further roles out of the same permission rows.
"""

from __future__ import annotations

import logging
import re

from flask import g, has_app_context
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from backoffice.api.security import EtjanstSecurityApi
from backoffice.views.users import (
    StaffGroupView,
    StaffPermissionViewView,
    StaffRoleView,
    StaffUserInfoEditView,
    StaffUserView,
)
from shared import roles
from shared.db import db
from shared.models import StaffUser
from shared.services import audit

log = logging.getLogger(__name__)

# (view or menu name, permission name), each a regular expression that must match the
# whole name, as in FAB's FAB_ROLES. Admin is not listed: it gets every permission.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    roles.BUILDER: [
        ("StartView", "can_index"),
        ("Start", "menu_access"),
        # Their own user information ("Profil"): show, edit, change password.
        ("StaffUserView", "can_userinfo|userinfoedit|resetmypassword"),
        ("StaffUserInfoEditView|ResetMyPasswordView", "can_this_form_(get|post)"),
        # The configuration screens (e-services, statuses, groups …) join here.
        # -- details (B): the e-service's colour legend, summary fields, Excel columns, message
        # templates, assignment rules and personal data (shared.services.eservice_details checks too).
        (
            "Builder(Colours|SummaryFields|ExcelColumns|MessageTemplates|AssignmentRules|PersonalData)View",
            "can_(list|add|edit|delete|save|default)",
        ),
        # -- end of details (B) --
        # -- rules (C): notification settings and retention rules (the services check too).
        ("BuilderNotificationsView|BuilderRetentionView", "can_(list|add|edit|delete)"),
        # -- end of rules (C) --
        # -- test mode (F-ES-4): Verktyg > Testa e-tjänster (shared.services.trial_runs checks which).
        ("EServiceTestView", "can_list"),
        ("Tools|Test e-services", "menu_access"),
        # -- end of test mode --
        # -- form editor (D): versions, steps, questions, publish, import/export (the service checks too).
        ("FormEditorView", "can_(list|edit)"),
        # -- end of form editor (D) --
        # E-tjänster, core (issue 6 part A): e-services, categories, handler links, statuses, groups.
        (
            "BuilderEServicesView|BuilderCategoriesView|BuilderHandlerLinksView|BuilderStatusGroupsView"
            "|BuilderHandlerGroupsView",
            "can_(list|show|add|edit|delete)",
        ),
        ("E-services|E-service list|E-service categories|Status groups|Handler groups", "menu_access"),
    ],
    roles.HANDLER: [
        ("StartView", "can_index"),
        ("Start", "menu_access"),
        ("StaffUserView", "can_userinfo|userinfoedit|resetmypassword"),
        ("StaffUserInfoEditView|ResetMyPasswordView", "can_this_form_(get|post)"),
        # The case screens (handläggningsvyn, ärendevyn) join here.
        # Lägg till ärende: which e-services and cases is decided per user by the services.
        ("ManualAddView", "can_list|can_add"),
        ("Cases|Add case", "menu_access"),
        # Ärenden (the overview): which cases is decided per user by shared.services.overview/access.
        ("CaseOverviewView", "can_(list|settings|bulk|export)"),
        # Exportera till Excel (F-EXP-1): which cases is decided per user by shared.services.export/access.
        ("ExportView", "can_export"),
        ("Case overview", "menu_access"),
        # Ärendevyn: which cases and actions is decided per case by shared.services.access.
        ("CaseView", "can_show|can_edit"),
        # Deluppgifter (F-SUB-*): which subtasks is decided per subtask by shared.services.subtasks.
        ("SubtaskView", "can_(list|show|edit)"),
        ("My subtasks", "menu_access"),
        # Utskick (F-MAIL-*): which cases and mailings is decided per user by shared.services.mailings.
        ("MailingView", "can_(list|show|add)"),
        ("Mailings", "menu_access"),
        # Statistik (F-STAT-1): which e-services is decided per user by shared.services.statistics.
        ("StatisticsView", "can_list"),
        ("Statistics", "menu_access"),
        # Min frånvaro and the group mailboxes of one's groups (F-GRP-3). Not "Hantera frånvaro"
        # (can_manage_others on AbsenceView): an administrator gives that to a role of its own.
        ("AbsenceView", "can_mine"),
        ("GroupMailboxView", "can_(list|take_over)"),
        ("Absence and mailboxes|My absence|Group mailbox", "menu_access"),
        # Testa e-tjänster (F-ES-4): the e-services one handles (shared.services.trial_runs checks which).
        ("EServiceTestView", "can_list"),
        ("Tools|Test e-services", "menu_access"),
        # Färgförklaring (F-ES-10): set by the e-service's handlers (eservice_details checks which).
        ("BuilderColoursView", "can_(list|add|edit|delete)"),
        # -- REST API (F-EXP-2): which cases and actions is decided per case by shared.services.access.
        ("EServicesApi|CasesApi", "can_(read|write)"),
        ("OpenApi", "can_get"),
        # API-nycklar: one's own keys (shared.services.api_keys).
        ("ApiKeysView", "can_(list|add|revoke)"),
        ("Security|API keys", "menu_access"),
        # -- end of REST API --
    ],
}


class EtjanstSecurityManager(SecurityManager):
    """FAB's SQLAlchemy security manager on ``StaffUser``; class attributes only."""

    user_model = StaffUser
    userdbmodelview = StaffUserView
    userinfoeditview = StaffUserInfoEditView
    rolemodelview = StaffRoleView
    groupmodelview = StaffGroupView
    permissionviewmodelview = StaffPermissionViewView
    # FAB's user statistics chart loads Google Charts from the Internet: no CDN here.
    userstatschartview = None
    # The REST API's login (JWT), rate limited and in Swedish.
    security_api = EtjanstSecurityApi

    def auth_user_db(self, username, password):
        """FAB's password login (the login page and the API's), each attempt in the audit log.

        Who logged in, when and from which address, and the failed attempts with the name
        typed (ASVS V7.1: the municipality's Granskningslogg shows them). Every outcome writes
        one row and commits, so a failure still costs what a success does (FAB evens the
        password checks out; this keeps it even).
        """
        user = super().auth_user_db(username, password)
        if username:
            if user is not None:
                audit.record("staff_login", user=user)
            else:
                audit.record("staff_login_failed", details={"username": str(username)[:120]})
            self.session.commit()
        return user

    def exist_permission_on_roles(self, view_name: str, permission_name: str, role_ids: list[int]) -> bool:
        """FAB's permission check, answered from the roles' permissions read once per request.

        FAB asks the database once per check, and a page checks every menu entry: about 30
        statements of a back-office page's 43 (benchmarks/load.py's profile). A change to a
        role shows from the next request on, as with FAB's own check.
        """
        if not has_app_context():
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        cache = g.setdefault("_etjanst_role_permissions", {})
        key = frozenset(role_ids)
        if key not in cache:
            cache[key] = self._role_permissions(key)
        return (view_name, permission_name) in cache[key]

    def _role_permissions(self, role_ids: frozenset[int]) -> frozenset[tuple[str, str]]:
        """Every (view or menu, permission) pair granted to any of the roles, in one statement."""
        pv = self.permissionview_model
        rows = (
            self.session.query(self.viewmenu_model.name, self.permission_model.name)
            .select_from(pv)
            .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == pv.id)
            .join(self.permission_model, self.permission_model.id == pv.permission_id)
            .join(self.viewmenu_model, self.viewmenu_model.id == pv.view_menu_id)
            .filter(assoc_permissionview_role.c.role_id.in_(sorted(role_ids)))
            .all()
        )
        return frozenset((view, permission) for view, permission in rows)

    def validate_api_key(self, api_key_string: str):
        """FAB's check of an API key, acting as our user model (FAB's ApiKey.user is its plain User)."""
        user = super().validate_api_key(api_key_string)
        if user is None or isinstance(user, StaffUser):
            return user
        user_id = user.id
        self.session.expunge(user)
        staff = self.session.get(StaffUser, user_id)
        g.user = staff
        return staff


def schema_ready() -> bool:
    """Whether the migrations have built FAB's tables (roles cannot be synced before)."""
    try:
        return sa_inspect(db.engine).has_table("ab_permission_view_role")
    except Exception:  # no database at all: the app still starts, /healthz tells
        log.exception("Cannot inspect the database")
        return False


def _matches(patterns: list[tuple[str, str]], view_menu: str, permission: str) -> bool:
    return any(re.fullmatch(v, view_menu) and re.fullmatch(p, permission) for v, p in patterns)


def _registered(appbuilder) -> tuple[set[str], set[tuple[str, str]]]:
    """The view/menu names and (view/menu, permission) pairs the running app has, as
    FAB's "update perms" would register them: every view's base permissions and
    menu_access on every menu entry."""
    view_menus: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for view in appbuilder.baseviews:
        view_menus.add(view.class_permission_name)
        pairs.update((view.class_permission_name, perm) for perm in view.base_permissions or ())
    for category in appbuilder.menu.get_list():
        for item in (category, *category.childs):
            if item.name != "-":
                view_menus.add(item.name)
                pairs.add((item.name, "menu_access"))
    return view_menus, pairs


def _add_missing_rows(sm, view_menus: set[str], pairs: set[tuple[str, str]]) -> bool:
    """Insert the missing roles, views/menus, permissions and their pairs in one go
    (FAB's own way commits every row: seconds on an empty database). Returns whether
    the database holds rows the app no longer has (renamed or removed views)."""
    session = sm.session
    roles_by_name = {r.name for r in session.query(sm.role_model)}
    for name in (sm.auth_role_admin, sm.auth_role_public, *ROLE_PERMISSIONS):
        if name not in roles_by_name:
            session.add(sm.role_model(name=name))
    vm_by_name = {v.name: v for v in session.query(sm.viewmenu_model)}
    perm_by_name = {p.name: p for p in session.query(sm.permission_model)}
    existing = {
        (pv.view_menu.name, pv.permission.name)
        for pv in session.query(sm.permissionview_model)
        if pv.view_menu is not None and pv.permission is not None
    }
    for name in sorted(view_menus - vm_by_name.keys()):
        vm_by_name[name] = sm.viewmenu_model(name=name)
        session.add(vm_by_name[name])
    for name in sorted({perm for _view, perm in pairs} - perm_by_name.keys()):
        perm_by_name[name] = sm.permission_model(name=name)
        session.add(perm_by_name[name])
    for view, perm in sorted(pairs - existing):
        session.add(sm.permissionview_model(view_menu=vm_by_name[view], permission=perm_by_name[perm]))
    session.flush()
    return bool(existing - pairs) or bool(vm_by_name.keys() - view_menus)


def sync_roles(appbuilder) -> dict[str, int]:
    """Write the roles and their permissions to the database; idempotent.

    Creates the roles Admin, Public, Builder and Handler when missing, registers a
    permission row for every view and menu of the back office (what FAB's "update
    perms" does), removes the rows of views that no longer exist (FAB's security
    cleanup), gives Admin every permission, and sets Builder's and Handler's
    permissions to exactly what ``ROLE_PERMISSIONS`` says (what the code no longer
    grants is taken away). Writes nothing when everything is already in place.

    Call it in an app context. ``etjanst db upgrade`` calls it once per deploy; web
    workers in production never do (FAB_UPDATE_PERMS off). Returns how many grants
    were added and removed.
    """
    sm = appbuilder.sm
    session = sm.session
    view_menus, pairs = _registered(appbuilder)
    try:
        stale = _add_missing_rows(sm, view_menus, pairs)
    except IntegrityError:  # another process registered the same rows just now
        session.rollback()
        stale = _add_missing_rows(sm, view_menus, pairs)
    session.commit()
    if stale:
        # Views renamed or removed left rows behind: FAB's own passes take them away
        # (and converge renamed permissions); rare, so their row-by-row commits are fine.
        appbuilder.add_permissions(update_perms=True)
        appbuilder.security_cleanup()

    all_pvms = session.query(sm.permissionview_model).all()
    changes = {"added": 0, "removed": 0}
    admin = sm.find_role(sm.auth_role_admin)
    for pvm in all_pvms:
        if pvm not in admin.permissions:
            admin.permissions.append(pvm)
            changes["added"] += 1
    for role_name, patterns in ROLE_PERMISSIONS.items():
        role = sm.find_role(role_name)
        wanted = [
            pvm
            for pvm in all_pvms
            if pvm.view_menu and pvm.permission and _matches(patterns, pvm.view_menu.name, pvm.permission.name)
        ]
        for pvm in wanted:
            if pvm not in role.permissions:
                role.permissions.append(pvm)
                changes["added"] += 1
        for pvm in list(role.permissions):
            if pvm not in wanted:
                role.permissions.remove(pvm)
                changes["removed"] += 1
    if changes["added"] or changes["removed"]:
        session.commit()
        log.info("Roles synced: %(added)d permissions granted, %(removed)d taken away", changes)
    return changes
