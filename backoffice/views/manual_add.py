"""Lägg till ärende (F-LIST-6): a handler adds a case on someone's behalf, e.g. an application
that came by telephone or on paper.

GET /arenden/lagg-till/ lists the e-services the handler may add cases to (as in the seed's
table); GET+POST /arenden/lagg-till/<eservice_id> is the e-service's published form on one
page, with "Koppla till personnummer" and the applicant's contact details on top. Who may
add where is access.manual_add_denial; the case is made by cases.add_case_manually.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from backoffice.views.access import staff_access
from shared.db import db
from shared.errors import DomainError, Invalid, NotAllowed, NotFound
from shared.forms import html
from shared.models import EService, EServiceVersion, StaffUser
from shared.services import cases, manual_add

# The page's own fields; a hyphen can never be part of a question id, so they never clash.
APPLICANT_FIELDS = ("personnummer", "name", "email", "phone")
FORM_TOKEN = "form-token"


def _actor() -> StaffUser:
    user = db.session.get(StaffUser, current_user.id)
    if user is None:  # pragma: no cover - staff_access logged them in
        abort(403)
    return user


def _case_url(case_id: int) -> str:
    """The case view (GET /arenden/<id>), wherever the back office is mounted."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == "/arenden/<int:case_id>" and "GET" in (rule.methods or ()):
            return url_for(rule.endpoint, case_id=case_id)
    return f"{request.script_root}/arenden/{case_id}"


class ManualAddView(BaseView):
    """The two screens of manual add; Handler and Admin have their permissions."""

    route_base = "/arenden/lagg-till"
    default_view = "index"
    method_permission_name = {"index": "list", "form": "add"}

    @expose("/")
    @staff_access
    def index(self):
        """The e-services the user may add a case to, with versions and case counts; ?q= filters."""
        search = (request.args.get("q") or "").strip()[:100]
        choices = manual_add.manual_add_choices(_actor(), search=search)
        return self.render_template(
            "backoffice/manual_add/list.html", choices=choices, search=search, title=_("Add case")
        )

    @expose("/<int:eservice_id>", methods=["GET", "POST"])
    @staff_access
    def form(self, eservice_id: int):
        """The e-service's form, filled in by the handler; a valid post adds the case and opens it."""
        actor = _actor()
        try:
            eservice, version = manual_add.manual_add_form(eservice_id, actor=actor)
        except NotFound:
            abort(404)
        except NotAllowed as error:
            return self._denied(error)
        definition = version.definition
        if request.method == "GET":
            return self._page(eservice, version, values={}, applicant={}, token=secrets.token_urlsafe(24))

        values = html.raw_answers(request.form, definition)
        applicant = {field: (request.form.get(f"applicant-{field}") or "").strip() for field in APPLICANT_FIELDS}
        token = (request.form.get(FORM_TOKEN) or "")[:64] or secrets.token_urlsafe(24)
        try:
            case = cases.add_case_manually(
                eservice.id,
                values,
                actor=actor,
                personnummer=applicant["personnummer"] or None,
                contact={"name": applicant["name"], "email": applicant["email"], "phone": applicant["phone"]},
                uploads=html.uploads(request.files, definition),
                idempotency_key=token,
            )
        except NotFound:
            abort(404)
        except NotAllowed as error:
            return self._denied(error)
        except Invalid as error:
            # Files cannot be put back into a file input: the page says to attach them again.
            return self._page(
                eservice,
                version,
                values=values,
                applicant=applicant,
                token=token,
                errors=dict(error.errors),
                applicant_errors=dict(error.details.get("applicant_errors") or {}),
                message=error.message,
                files_dropped=bool(request.files),
            )
        except DomainError as error:
            flash(str(error), "danger")
            return self._page(eservice, version, values=values, applicant=applicant, token=token)
        flash(_("Case %(number)s has been added.", number=case.number), "success")
        return redirect(_case_url(case.id))

    def _denied(self, error: NotAllowed):
        """403 with the reason (not a handler, restricted access, manual add switched off …)."""
        return self.render_template("backoffice/manual_add/denied.html", message=str(error)), 403

    def _page(
        self,
        eservice: EService,
        version: EServiceVersion,
        *,
        values: dict[str, Any],
        applicant: dict[str, str],
        token: str,
        errors: dict[str, str] | None = None,
        applicant_errors: dict[str, str] | None = None,
        message: str | None = None,
        files_dropped: bool = False,
    ):
        definition = version.definition
        errors = dict(errors or {})
        applicant_errors = applicant_errors or {}
        if files_dropped:
            dropped = [qid for qid in html.uploads(request.files, definition) if qid not in errors]
            for question_id in dropped:
                errors[question_id] = _("Attach the file again.")
            if dropped:
                count = len(errors) + len(applicant_errors)
                message = ngettext(
                    "There is %(num)d error in the form.", "There are %(num)d errors in the form.", count
                )
        labels = {
            "personnummer": _("Link to personal identity number"),
            "name": _("Name"),
            "email": _("E-mail"),
            "phone": _("Telephone"),
        }
        summary = [
            (f"applicant-{field}", f"{labels[field]}: {applicant_errors[field]}")
            for field in APPLICANT_FIELDS
            if field in applicant_errors
        ]
        return self.render_template(
            "backoffice/manual_add/form.html",
            title=_("Add case: %(name)s", name=eservice.name),
            eservice=eservice,
            version=version,
            definition=definition,
            values=values,
            computed=html.computed_values(definition, values) if values else {},
            errors=errors,
            applicant=applicant,
            applicant_errors=applicant_errors,
            applicant_summary=summary,
            labels=labels,
            message=message,
            token=token,
            list_url=url_for(f"{self.endpoint}.index"),
        )
