"""Utskick (F-MAIL-1, F-MAIL-2): create a mailing, preview it, send it, and follow the answers.

"Skapa utskick" starts either from the cases checked in the overview (the bulk button posts
them here) or from this menu entry, choosing an e-service, its versions and a submitted date
range or statuses. The form, then a preview (how many recipients, who is skipped and why, the
text as the first recipient gets it), then "Skicka". Every rule is in
``shared.services.mailings``; the view reads the form, calls one service and renders.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _

from backoffice.views.access import staff_access
from backoffice.views.case_common import current_staff, local_date, local_time
from shared.db import db
from shared.errors import Invalid, NotFound
from shared.services import bulk, listing, mailings

FIELDS = ("channel", "subject", "body", "question", "answer_days", "no_answer_status_id")
CRITERIA_FIELDS = ("eservice_id", "submitted_from", "submitted_to")
CRITERIA_LISTS = ("case_ids", "version_ids", "status_ids")


def _values() -> dict[str, Any]:
    """What the form posted, as it came (shown again when something is wrong)."""
    values: dict[str, Any] = {name: request.form.get(name, "") for name in (*FIELDS, *CRITERIA_FIELDS)}
    for name in CRITERIA_LISTS:
        values[name] = bulk.case_ids_from(request.form.getlist(name))
    return values


def _criteria(values: dict[str, Any]) -> dict[str, Any]:
    if values.get("case_ids"):
        return {"case_ids": values["case_ids"]}
    return {name: values.get(name) for name in (*CRITERIA_FIELDS, "version_ids", "status_ids")}


def _draft(values: dict[str, Any]) -> mailings.Draft:
    return mailings.Draft(criteria=_criteria(values), **{name: values.get(name) for name in FIELDS})


class MailingView(BaseView):
    """Utskick: the list, Skapa utskick (form, preview, send) and each mailing's summary."""

    route_base = "/utskick"
    default_view = "index"

    def _helpers(self) -> dict[str, Any]:
        return {
            "local_time": local_time,
            "local_date": local_date,
            "channel_label": mailings.channel_label,
            "answer_label": mailings.answer_label,
            "skip_reason": mailings.skip_reason,
            "placeholders": [(name, mailings.MAILING_PLACEHOLDERS[name]) for name in mailings.SHOWN_PLACEHOLDERS],
            "channels": mailings.CHANNELS,
        }

    def _form(self, values: dict[str, Any], *, errors: dict[str, str] | None = None, status: int = 200):
        user = current_staff()
        eservice_id = listing.whole_number(values.get("eservice_id"))
        choices = mailings.form_choices(user, eservice_id=eservice_id, case_ids=values.get("case_ids") or None)
        if values.get("case_ids") and not choices.checked:
            flash(_("None of the checked cases was found."), "danger")
            return redirect(url_for(f"{self.endpoint}.new"))
        return (
            self.render_template(
                "backoffice/mailing/new.html",
                title=_("Create mailing"),
                values=values,
                errors=errors or {},
                choices=choices,
                **self._helpers(),
            ),
            status,
        )

    @expose("/")
    @staff_access
    @permission_name("list")
    def index(self):
        """Utskick: the mailings the user may open, newest first."""
        page = listing.whole_number(request.args.get("page")) or 1
        rows, has_next = mailings.list_mailings(current_staff(), page)
        return self.render_template(
            "backoffice/mailing/index.html",
            title=_("Mailings"),
            rows=rows,
            page=page,
            has_next=has_next,
            page_url=lambda number: url_for(f"{self.endpoint}.index", page=number if number > 1 else None),
            **self._helpers(),
        )

    @expose("/ny")
    @staff_access
    @permission_name("add")
    def new(self):
        """Skapa utskick by e-service: choose it first (the page then offers its versions and statuses)."""
        values: dict[str, Any] = {name: "" for name in (*FIELDS, *CRITERIA_FIELDS)}
        values.update({name: [] for name in CRITERIA_LISTS})
        values["eservice_id"] = request.args.get("eservice", "")
        values["channel"] = "portal"
        return self._form(values)

    @expose("/fran-arenden", methods=["POST"])
    @staff_access
    @permission_name("add")
    def from_cases(self):
        """Skapa utskick for the cases checked in the overview (its bulk button posts here)."""
        case_ids = bulk.case_ids_from(request.form.getlist("case_id"))
        if not case_ids:
            flash(_("Check at least one case first."), "danger")
            return redirect(url_for("CaseOverviewView.index"))
        values: dict[str, Any] = {name: "" for name in (*FIELDS, *CRITERIA_FIELDS)}
        values.update({name: [] for name in CRITERIA_LISTS})
        values["case_ids"] = case_ids
        values["channel"] = "portal"
        return self._form(values)

    @expose("/ny", methods=["POST"])
    @staff_access
    @permission_name("add")
    def submit(self):
        """The form's buttons: Förhandsgranska (preview), Ändra (back to the form) and Skicka (send)."""
        user = current_staff()
        values = _values()
        action = request.form.get("action", "preview")
        if action == "edit":
            return self._form(values)
        try:
            if action == "send":
                mailing = mailings.create_mailing(_draft(values), actor=user)
            else:
                checked = mailings.check(_draft(values), user)
        except NotFound:
            db.session.rollback()
            abort(404)
        except Invalid as error:
            db.session.rollback()
            return self._form(values, errors=dict(error.errors) or {"criteria": error.message}, status=422)
        if action == "send":
            flash(
                _(
                    "The mailing %(subject)s is sent to %(num)d recipients.",
                    subject=mailing.subject,
                    num=len(mailing.recipients),
                ),
                "success",
            )
            return redirect(url_for(f"{self.endpoint}.show", mailing_id=mailing.id))
        return self.render_template(
            "backoffice/mailing/preview.html",
            title=_("Preview the mailing"),
            values=values,
            checked=checked,
            **self._helpers(),
        )

    @expose("/<int:mailing_id>")
    @staff_access
    @permission_name("show")
    def show(self, mailing_id: int):
        """The mailing's summary: Ja / Nej / Inte svarat, and the recipients with their answers."""
        page = listing.whole_number(request.args.get("page")) or 1
        answer_filter = request.args.get("svar") or None
        try:
            found = mailings.summary(mailing_id, actor=current_staff(), page=page, answer_filter=answer_filter)
        except NotFound:
            abort(404)
        return self.render_template(
            "backoffice/mailing/show.html",
            title=found.mailing.subject,
            s=found,
            page_url=lambda number: url_for(
                f"{self.endpoint}.show", mailing_id=mailing_id, svar=found.answer_filter, page=number
            ),
            **self._helpers(),
        )
