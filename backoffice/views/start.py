"""Start: the page a member of staff lands on after logging in."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from flask_appbuilder import IndexView, expose
from sqlalchemy import select

from backoffice.views.access import staff_access
from backoffice.views.users import role_label
from shared.db import db
from shared.models import EService, StaffUser
from shared.services import access


@dataclass
class HandledEService:
    eservice: EService
    restricted: bool


def handled_eservices(user: StaffUser) -> list[HandledEService]:
    """The e-services the user is handler for today (directly or through a group), by name."""
    ids = access.linked_eservice_ids(user)
    if not ids:
        return []
    full = access.linked_eservice_ids(user, restricted=False)
    eservices = db.session.scalars(select(EService).where(EService.id.in_(sorted(ids))).order_by(EService.name)).all()
    return [HandledEService(e, restricted=e.id not in full) for e in eservices]


class StartView(IndexView):
    """The back office's index ("Start"): who I am, my roles, my e-services."""

    index_template = "backoffice/start.html"

    @expose("/")
    @staff_access
    def index(self):
        self.update_redirect()
        user = db.session.get(StaffUser, g.user.id)
        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            user=user,
            role_names=sorted(role_label(r.name) for r in user.roles),
            eservices=handled_eservices(user),
        )
