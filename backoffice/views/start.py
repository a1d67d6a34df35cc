"""Start: where a member of staff lands after logging in.

A handler lands on Ärenden (the case overview), where their day's work is; everyone else
(administrators, builders, handlers of no e-service yet) on the start page, which the
menu's "Start" also opens for everyone at /start/.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import select

from backoffice.views.access import staff_access
from backoffice.views.case_common import local_date
from backoffice.views.case_words import subtask_status
from backoffice.views.users import role_label
from shared.db import db
from shared.models import EService, StaffUser
from shared.services import absences, access, subtasks

OVERVIEW = ("can_list", "CaseOverviewView")
MY_ABSENCE = ("can_mine", "AbsenceView")
MAILBOX = ("can_list", "GroupMailboxView")
MY_SUBTASKS = ("can_list", "SubtaskView")


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
    """The back office's index: handlers go on to Ärenden; the start page shows who I am, my roles, my e-services."""

    index_template = "backoffice/start.html"
    # The start page at /start/ is the same page as the index: one permission for both.
    method_permission_name = {"start": "index"}

    def _may_open_overview(self) -> bool:
        return self.appbuilder.sm.has_access(*OVERVIEW)

    @expose("/")
    @staff_access
    def index(self):
        user = db.session.get(StaffUser, g.user.id)
        if self._may_open_overview() and access.linked_eservice_ids(user):
            return redirect(url_for("CaseOverviewView.index"))
        return self._page(user)

    @expose("/start/")
    @staff_access
    def start(self):
        return self._page(db.session.get(StaffUser, g.user.id))

    def _page(self, user: StaffUser):
        self.update_redirect()
        eservices = handled_eservices(user)
        # Ärenden is offered to whoever may open it and has cases there: handlers and administrators.
        overview_url = None
        if self._may_open_overview() and (eservices or access.is_admin(user)):
            overview_url = url_for("CaseOverviewView.index")
        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            user=user,
            role_names=sorted(role_label(r.name) for r in user.roles),
            eservices=eservices,
            overview_url=overview_url,
            # F-GRP-3: "Du är frånvarande t.o.m. …" and the messages waiting in my groups' mailboxes.
            absence=absences.current_absence(user),
            absence_url=url_for("AbsenceView.index") if self.appbuilder.sm.has_access(*MY_ABSENCE) else None,
            mailboxes=[m for m in absences.mailboxes(user) if m.member]
            if self.appbuilder.sm.has_access(*MAILBOX)
            else [],
            # F-SUB-4: Mina deluppgifter, with the parent case.
            my_subtasks=subtasks.my_subtasks(user) if self.appbuilder.sm.has_access(*MY_SUBTASKS) else [],
            local_date=local_date,
            subtask_status=subtask_status,
        )
