"""Frånvaro (F-GRP-3): Min frånvaro, where a handler sets and ends their own absence, and
Frånvarohantering, where an administrator or a user with the permission "Hantera frånvaro"
(``can_manage_others`` on this view, access.MANAGE_ABSENCES) lists everyone's current and
coming absences and switches forwarding on for a colleague who is off sick.

Thin: parse the form, call one service of shared.services.absences, render. The services
decide who may do what; a refused form comes back with the typed values and a message per field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _

from backoffice.views.access import staff_access
from backoffice.views.case_common import current_staff, int_or_none
from shared import clock
from shared.db import db
from shared.errors import DomainError, Invalid, NotAllowed, NotFound
from shared.models import Absence, StaffUser
from shared.services import absences, access

FIELDS = ("starts_on", "ends_on", "auto_reply", "forward_to_group_id")


def _date_text(value: dt.date | None) -> str:
    return f"{value:%Y-%m-%d}" if value is not None else ""


def values_of(absence: Absence | None) -> dict[str, str]:
    """The form's values: an absence's, or a new one's (from today)."""
    if absence is None:
        return {"starts_on": _date_text(clock.today()), "ends_on": "", "auto_reply": "", "forward_to_group_id": ""}
    return {
        "starts_on": _date_text(absence.starts_on),
        "ends_on": _date_text(absence.ends_on),
        "auto_reply": absence.auto_reply or "",
        "forward_to_group_id": str(absence.forward_to_group_id or ""),
    }


def _posted() -> dict[str, str]:
    return {field: request.form.get(field, "") for field in FIELDS}


def _service_fields(values: dict[str, str]) -> dict[str, Any]:
    return {
        "starts_on": values["starts_on"],
        "ends_on": values["ends_on"],
        "auto_reply": values["auto_reply"],
        "forward_to_group_id": values["forward_to_group_id"] or None,
    }


def refused(error: DomainError, back: str):
    """A refused action of Frånvaro or Gruppbrevlåda as the user sees it: an absence or message
    they may not know of is not found (404); anything else is said in a flash on the page ``back``."""
    db.session.rollback()
    if isinstance(error, NotFound):
        abort(404)
    flash(str(error), "danger")
    return redirect(back)


class AbsenceView(BaseView):
    """Min frånvaro (Handler) and Frånvarohantering (permission Hantera frånvaro)."""

    route_base = "/franvaro"
    default_view = "index"
    # The class name is part of the permission "Hantera frånvaro" (access.MANAGE_ABSENCES).
    method_permission_name = {
        "index": "mine",
        "save": "mine",
        "end": "mine",
        "manage": "manage_others",
        "manage_save": "manage_others",
        "manage_end": "manage_others",
    }

    # -- Min frånvaro -----------------------------------------------------------------------

    def _mine_page(
        self,
        user: StaffUser,
        *,
        editing: Absence | None,
        values: dict[str, str],
        errors: dict[str, str] | None = None,
        status: int = 200,
    ):
        mine = absences.my_absences(user)
        return (
            self.render_template(
                "backoffice/absence/mine.html",
                user=user,
                mine=mine,
                current=absences.current_absence(user),
                editing=editing,
                values=values,
                errors=errors or {},
                groups=absences.forward_groups(user, user),
                set_by=absences.staff_names(a.set_by_id for a in mine),
                may_manage=self.appbuilder.sm.has_access("can_manage_others", self.class_permission_name),
                max_auto_reply=absences.MAX_AUTO_REPLY,
                today=clock.today(),
                title=_("My absence"),
            ),
            status,
        )

    @expose("/")
    @staff_access
    def index(self):
        """Min frånvaro: my current and coming absences; the form shows the current one (?ny=1: a new one)."""
        user = current_staff()
        editing = None
        if request.args.get("ny") != "1":
            wanted = int_or_none(request.args.get("andra"))
            if wanted is not None:
                editing = absences.absence_for(wanted, actor=user)
                if editing is None or editing.user_id != user.id:
                    abort(404)
            else:
                editing = next(iter(absences.my_absences(user)), None)
        return self._mine_page(user, editing=editing, values=values_of(editing))

    @expose("/", methods=["POST"])
    @staff_access
    def save(self):
        """Set a new absence, or change the one named by absence_id."""
        user = current_staff()
        absence_id = int_or_none(request.form.get("absence_id"))
        values = _posted()
        try:
            if absence_id is None:
                absences.set_absence(actor=user, **_service_fields(values))
            else:
                absences.change_absence(absence_id, actor=user, **_service_fields(values))
        except Invalid as error:
            db.session.rollback()
            editing = absences.absence_for(absence_id, actor=user) if absence_id is not None else None
            return self._mine_page(user, editing=editing, values=values, errors=dict(error.errors), status=422)
        except DomainError as error:
            return refused(error, url_for(f"{self.endpoint}.index"))
        flash(_("Your absence has been saved."), "success")
        return redirect(url_for(f"{self.endpoint}.index"))

    @expose("/<int:absence_id>/avsluta", methods=["POST"])
    @staff_access
    def end(self, absence_id: int):
        """End my absence today (or call off a coming one)."""
        return self._end(absence_id, url_for(f"{self.endpoint}.index"))

    def _end(self, absence_id: int, back: str):
        try:
            absence = absences.end_absence(absence_id, actor=current_staff())
        except DomainError as error:
            return refused(error, back)
        flash(_("The absence of %(name)s has ended.", name=absence.user.display_name), "success")
        return redirect(back)

    # -- Frånvarohantering ---------------------------------------------------------------------

    def _manage_page(
        self,
        actor: StaffUser,
        *,
        person: StaffUser | None,
        editing: Absence | None,
        values: dict[str, str],
        errors: dict[str, str] | None = None,
        status: int = 200,
    ):
        try:
            planned = absences.planned_absences(actor)
            people = absences.colleagues(actor)
        except NotAllowed:
            abort(403)
        return (
            self.render_template(
                "backoffice/absence/manage.html",
                planned=planned,
                people=people,
                person=person,
                editing=editing,
                values=values,
                errors=errors or {},
                groups=absences.forward_groups(actor, person) if person is not None else [],
                is_admin=access.is_admin(actor),
                set_by=absences.staff_names(a.set_by_id for a in planned),
                max_auto_reply=absences.MAX_AUTO_REPLY,
                today=clock.today(),
                title=_("Absence management"),
            ),
            status,
        )

    def _person(self, user_id: int | None) -> StaffUser | None:
        person = db.session.get(StaffUser, user_id) if user_id is not None else None
        return person if person is not None and person.active else None

    @expose("/hantera")
    @staff_access
    def manage(self):
        """Everyone's current and coming absences; ?person=<id> opens the form for a colleague, ?andra=<id> an absence."""
        actor = current_staff()
        wanted = int_or_none(request.args.get("andra"))
        editing = absences.absence_for(wanted, actor=actor) if wanted is not None else None
        if wanted is not None and editing is None:
            abort(404)
        person = editing.user if editing is not None else self._person(int_or_none(request.args.get("person")))
        errors = {}
        if request.args.get("person") and person is None:
            errors["user_id"] = _("Choose a person.")
        return self._manage_page(actor, person=person, editing=editing, values=values_of(editing), errors=errors)

    @expose("/hantera", methods=["POST"])
    @staff_access
    def manage_save(self):
        """Set an absence for the chosen colleague, or change the one named by absence_id."""
        actor = current_staff()
        absence_id = int_or_none(request.form.get("absence_id"))
        user_id = int_or_none(request.form.get("user_id"))
        values = _posted()
        try:
            if absence_id is None:
                absence = absences.set_absence(actor=actor, user_id=user_id, **_service_fields(values))
            else:
                absence = absences.change_absence(absence_id, actor=actor, **_service_fields(values))
        except Invalid as error:
            db.session.rollback()
            editing = absences.absence_for(absence_id, actor=actor) if absence_id is not None else None
            person = editing.user if editing is not None else self._person(user_id)
            return self._manage_page(
                actor, person=person, editing=editing, values=values, errors=dict(error.errors), status=422
            )
        except NotAllowed:  # Hantera frånvaro without the permission: refused outright
            db.session.rollback()
            abort(403)
        except DomainError as error:
            return refused(error, url_for(f"{self.endpoint}.manage"))
        flash(_("The absence of %(name)s has been saved.", name=absence.user.display_name), "success")
        return redirect(url_for(f"{self.endpoint}.manage"))

    @expose("/hantera/<int:absence_id>/avsluta", methods=["POST"])
    @staff_access
    def manage_end(self, absence_id: int):
        """End a colleague's absence today."""
        return self._end(absence_id, url_for(f"{self.endpoint}.manage"))
