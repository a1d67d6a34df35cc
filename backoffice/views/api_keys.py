"""API-nycklar (F-EXP-2): a user creates API keys for the REST API, sees them and revokes them.

The key itself is shown once, on the page that answers the creation (never stored, never
put in the session); afterwards the list shows its first characters, when it was created
and last used. An administrator sees and revokes everyone's keys. The rules are in
``shared.services.api_keys``.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _

from backoffice.views.access import staff_access
from backoffice.views.case_common import current_staff
from shared.db import db
from shared.errors import DomainError, NotFound
from shared.services import access, api_keys
from shared.services.listing import whole_number


def _when(value: dt.datetime | None) -> str:
    # FAB writes these times with the server's local clock (naive), so they are shown as they are.
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _state(key) -> str:
    if key.revoked_on is not None or not key.active:
        return _("Revoked")
    if key.expires_on is not None and key.expires_on < dt.datetime.now():
        return _("Expired")
    return _("Active")


class ApiKeysView(BaseView):
    route_base = "/api-nycklar"
    default_view = "list"

    def _page(self, new_key=None, name: str = "", errors: dict | None = None, status: int = 200):
        user = current_staff()
        keys = api_keys.list_keys(actor=user)
        page = self.render_template(
            "backoffice/api_keys/list.html",
            keys=keys,
            new_key=new_key,
            name=name,
            errors=errors or {},
            may_create=api_keys.may_use_api(user),
            show_owner=access.is_admin(user),
            when=_when,
            state=_state,
            api_url=request.script_root + "/api/v1/",
            title=None,
        )
        return page, status

    @expose("/")
    @staff_access
    @permission_name("list")
    def list(self):
        return self._page()

    @expose("/", methods=["POST"])
    @staff_access
    @permission_name("add")
    def add(self):
        name = request.form.get("name", "")
        try:
            created = api_keys.create_key(name, actor=current_staff())
        except DomainError as error:
            db.session.rollback()
            errors = getattr(error, "errors", None) or {"name": str(error)}
            return self._page(name=name, errors=errors, status=422 if errors.get("name") else 403)
        return self._page(new_key=created)

    @expose("/<int:key_id>/aterkalla", methods=["POST"])
    @staff_access
    @permission_name("revoke")
    def revoke(self, key_id: int):
        try:
            key = api_keys.revoke_key(whole_number(key_id) or 0, actor=current_staff())
        except NotFound:
            db.session.rollback()
            abort(404)
        flash(_("The API key %(name)s is revoked and no longer works.", name=key.name), "success")
        return redirect(url_for("ApiKeysView.list"))
