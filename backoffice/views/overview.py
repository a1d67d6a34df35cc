"""Ärenden: the handlers' case overview with its tabs, filters, settings and bulk actions (F-LIST-1..5).

Thin: every query is in ``shared.services.overview`` (built on the access rules), every
change in ``shared.services.bulk`` / ``preferences`` / ``export``. A DomainError becomes
a flash message; NotFound a 404 and NotAllowed a 403.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from backoffice.views import case_common, masking
from backoffice.views.access import staff_access
from backoffice.views.case_words import subtask_status
from shared import clock
from shared.errors import DomainError, NotAllowed, NotFound
from shared.models import HandlerDisplay
from shared.services import bulk, export, overview, preferences, subtasks
from shared.services import masking as masking_service

TAB_LABELS = {
    "obehandlade": _l("Unhandled"),
    "forfallna": _l("Past due"),
    "mina": _l("Mine"),
    "flaggade": _l("Starred"),
    "pagaende": _l("Ongoing"),
    "alla": _l("All"),
}
TAB_HELP = {
    "obehandlade": _l("Cases no handler has taken yet."),
    "forfallna": _l("Open cases past their due date."),
    "mina": _l("Open cases assigned to you or to one of your groups."),
    "flaggade": _l("Cases you have flagged."),
    "pagaende": _l("Cases assigned to a handler and not yet closed."),
    "alla": _l("Every case, open or closed, whoever handles it."),
}
COLUMN_LABELS = {
    "flag": _l("Flag"),
    "number": _l("Case no."),
    "status": _l("Status"),
    "submitted": _l("Submitted"),
    "applicant": _l("Submitter"),
    "eservice": _l("E-service"),
    "version": _l("Ver."),
    "summary": _l("Description"),
    "handlers": _l("Handler"),
    "colour": _l("Colour"),
}
# The colour keys builders use, named for people (the meaning comes from the e-service).
COLOUR_NAMES = {
    "green": _l("Green"),
    "yellow": _l("Yellow"),
    "red": _l("Red"),
    "blue": _l("Blue"),
    "orange": _l("Orange"),
    "purple": _l("Purple"),
    "grey": _l("Grey"),
}
MY_SUBTASKS = ("can_list", "SubtaskView")
EXPORT_PAGE = ("can_export", "ExportView")
CREATE_MAILING = ("can_add", "MailingView")
# Query arguments the overview keeps in its own links.
STATE_ARGS = ("tab", "q", "eservice", "status", "colour", "from", "to", "sort", "dir", "page")


_CSS_COLOUR = re.compile(r"^(#[0-9A-Fa-f]{3,8}|[A-Za-z]{1,20})$")


def css_colour(colour: str | None) -> str | None:
    """The colour as CSS when it is a plain colour name or hex value (anything else is never put in a style)."""
    return colour if colour and _CSS_COLOUR.match(colour) else None


def colour_name(colour: str | None) -> str:
    if not colour:
        return ""
    return str(COLOUR_NAMES.get(colour, colour))


def local_time(value: dt.datetime | None) -> str:
    local = clock.to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def count_text(value: int) -> str:
    """A count as Swedes write it: 12 345 (a no-break space between thousands)."""
    return f"{value:,}".replace(",", "\u00a0")


def _int(value: Any, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


class CaseOverviewView(BaseView):
    """Ärenden (handläggningsvyn): tabs with counts, the list, settings and bulk actions."""

    route_base = "/arenden"
    default_view = "index"
    method_permission_name = {
        "index": "list",
        "settings": "settings",
        "bulk_take": "bulk",
        "bulk_status": "bulk",
        "bulk_assign": "bulk",
        "bulk_colour": "bulk",
        "bulk_excel": "export",
        "reveal_personnummer": "list",
    }

    # -- helpers -----------------------------------------------------------------------------

    def _overview_url(self, **args: Any) -> str:
        clean = {key: value for key, value in args.items() if value not in (None, "")}
        base = url_for(f"{self.endpoint}.index")
        return f"{base}?{urlencode(clean)}" if clean else base

    def _back(self) -> str:
        """Where a bulk action returns: the overview as the handler left it (only ever our own URL)."""
        target = request.form.get("next") or ""
        base = url_for(f"{self.endpoint}.index")
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not parts.path.startswith(base):
            return base
        return target

    def _report(self, outcome: bulk.BulkOutcome, done_message: Callable[[int], str]) -> None:
        if outcome.done:
            flash(done_message(len(outcome.done)), "success")
        for number, reason in outcome.failed:
            flash(_("Case %(number)s: %(reason)s", number=number, reason=reason), "warning")
        if outcome.missing:
            flash(
                ngettext(
                    "%(num)d of the checked cases was not found.",
                    "%(num)d of the checked cases were not found.",
                    outcome.missing,
                ),
                "warning",
            )

    def _bulk(self, run: Callable[[list[int]], Any]) -> Any:
        """Run a bulk action on the checked cases: errors become a message (or 404/403), never a 500."""
        case_ids = bulk.case_ids_from(request.form.getlist("case_id"))
        try:
            return run(case_ids)
        except NotFound:
            abort(404)
        except NotAllowed:
            abort(403)
        except DomainError as error:
            flash(error.message, "danger")
        return redirect(self._back())

    # -- the overview ----------------------------------------------------------------------------

    @expose("/")
    @staff_access
    def index(self):
        user = g.user
        settings = preferences.list_settings(user)
        filters, problems = overview.parse_filters(request.args)
        for problem in problems:
            flash(problem, "warning")
        tab = request.args.get("tab") or settings.default_tab or overview.DEFAULT_TAB
        result = overview.case_overview(
            user,
            tab=tab,
            filters=filters,
            sort=request.args.get("sort"),
            direction=request.args.get("dir"),
            page=_int(request.args.get("page"), 1),
            page_size=settings.page_size,
            show_handler_as=settings.show_handler_as,
        )
        state = {
            "tab": result.tab,
            **filters.as_args(),
            "sort": result.sort if request.args.get("sort") else None,
            "dir": result.direction if request.args.get("sort") else None,
            "page": result.page if result.page > 1 else None,
        }

        def url(**changes: Any) -> str:
            return self._overview_url(**{**state, **changes})

        def sort_url(column: str) -> str:
            direction = "desc" if column == "submitted" else "asc"
            if result.sort == column:
                direction = "asc" if result.direction == "desc" else "desc"
            return url(sort=column, dir=direction, page=None)

        self.update_redirect()
        eservice_ids = result.eservice_ids  # read with the list's own access check
        return self.render_template(
            "backoffice/overview/index.html",
            title=_("Cases"),
            result=result,
            settings=settings,
            choices=overview.filter_choices(user, eservice_ids),
            assignees=overview.assignee_choices(user, eservice_ids),
            tabs=overview.TABS,
            tab_labels=TAB_LABELS,
            tab_help=TAB_HELP,
            column_labels=COLUMN_LABELS,
            colour_name=colour_name,
            css_colour=css_colour,
            local_time=local_time,
            count_text=count_text,
            url=url,
            sort_url=sort_url,
            here=url(),
            case_base=url_for(f"{self.endpoint}.index"),  # a case is at <overview>/<id> (the case view's scheme)
            settings_url=url_for(f"{self.endpoint}.settings"),
            manual_add_url=url_for("ManualAddView.index")
            if "ManualAddView.index" in current_app.view_functions
            else None,
            # Exportera till Excel (F-EXP-1): the export page, for whoever has its permission.
            export_url=url_for("ExportView.index") if self.appbuilder.sm.has_access(*EXPORT_PAGE) else None,
            may_mail=self.appbuilder.sm.has_access(*CREATE_MAILING),
            show_usernames=settings.show_handler_as == HandlerDisplay.USERNAME,
            # F-SUB-4: Mina deluppgifter above the list, with the parent case.
            my_subtasks=subtasks.my_subtasks(user) if self.appbuilder.sm.has_access(*MY_SUBTASKS) else [],
            local_date=case_common.local_date,
            subtask_status=subtask_status,
        )

    # -- settings (F-LIST-4) ---------------------------------------------------------------------

    @expose("/installningar", methods=["GET", "POST"])
    @staff_access
    def settings(self):
        user = g.user
        current = preferences.list_settings(user)
        errors: dict[str, str] = {}
        form_columns = current.columns
        if request.method == "POST":
            chosen = []
            for column in overview.COLUMNS:
                if request.form.get(f"show_{column}"):
                    chosen.append(
                        (_int(request.form.get(f"order_{column}"), 99), overview.COLUMNS.index(column), column)
                    )
            columns = [column for _order, _default, column in sorted(chosen)]
            try:
                preferences.save_list_settings(
                    user,
                    columns=columns,
                    open_in_new_tab=request.form.get("open_in_new_tab") == "1",
                    show_handler_as=request.form.get("show_handler_as", ""),
                    page_size=_int(request.form.get("page_size"), 0),
                    default_tab=request.form.get("default_tab") or None,
                )
            except DomainError as error:
                flash(error.message, "danger")
                errors = getattr(error, "errors", {}) or {}
                form_columns = tuple(columns)
            else:
                flash(_("Your settings are saved."), "success")
                return redirect(url_for(f"{self.endpoint}.index"))
        shown = list(form_columns)
        rows = [(column, column in shown, (shown.index(column) + 1) if column in shown else "") for column in shown]
        rows += [(column, False, "") for column in overview.COLUMNS if column not in shown]
        return self.render_template(
            "backoffice/overview/settings.html",
            title=_("Settings for the case list"),
            settings=current,
            column_rows=rows,
            column_labels=COLUMN_LABELS,
            required_columns=overview.REQUIRED_COLUMNS,
            tabs=overview.TABS,
            tab_labels=TAB_LABELS,
            page_sizes=preferences.PAGE_SIZES,
            errors=errors,
            overview_url=url_for(f"{self.endpoint}.index"),
        )

    # -- bulk actions (F-LIST-5) -----------------------------------------------------------------

    @expose("/massandring/ta", methods=["POST"])
    @staff_access
    def bulk_take(self):
        def run(case_ids: list[int]):
            outcome = bulk.take_cases(case_ids, actor=g.user)
            self._report(outcome, lambda n: ngettext("You took %(num)d case.", "You took %(num)d cases.", n))
            return redirect(self._back())

        return self._bulk(run)

    @expose("/massandring/status", methods=["POST"])
    @staff_access
    def bulk_status(self):
        def run(case_ids: list[int]):
            if request.form.get("confirm") != "1":
                # First step: which status, and should the applicants be told?
                choice = bulk.status_choice(case_ids, actor=g.user)
                return self.render_template(
                    "backoffice/overview/status.html",
                    title=_("Change status"),
                    choice=choice,
                    back=self._back(),
                )
            status_id = _int(request.form.get("status_id"), 0)
            notify = request.form.get("notify")
            if notify not in ("1", "0"):
                flash(_("Choose whether the applicants are to be told."), "danger")
                return redirect(self._back())
            outcome = bulk.change_status_of_cases(case_ids, status_id, actor=g.user, notify_applicant=notify == "1")
            self._report(
                outcome,
                lambda n: ngettext(
                    "The status of %(num)d case was changed.", "The status of %(num)d cases was changed.", n
                ),
            )
            return redirect(self._back())

        return self._bulk(run)

    @expose("/massandring/handlaggare", methods=["POST"])
    @staff_access
    def bulk_assign(self):
        def run(case_ids: list[int]):
            user_ids, group_ids = [], []
            for value in request.form.getlist("assignee"):
                kind, _sep, raw_id = value.partition(":")
                if raw_id.isdigit():
                    (user_ids if kind == "user" else group_ids if kind == "group" else []).append(int(raw_id))
            mode = "add" if request.form.get("mode") == "add" else "replace"
            outcome = bulk.assign_cases(case_ids, actor=g.user, user_ids=user_ids, group_ids=group_ids, mode=mode)
            self._report(
                outcome,
                lambda n: ngettext(
                    "The handlers of %(num)d case were changed.", "The handlers of %(num)d cases were changed.", n
                ),
            )
            return redirect(self._back())

        return self._bulk(run)

    @expose("/massandring/farg", methods=["POST"])
    @staff_access
    def bulk_colour(self):
        def run(case_ids: list[int]):
            outcome = bulk.colour_cases(case_ids, request.form.get("colour") or None, actor=g.user)
            self._report(
                outcome,
                lambda n: ngettext("%(num)d case was colour-marked.", "%(num)d cases were colour-marked.", n),
            )
            return redirect(self._back())

        return self._bulk(run)

    @expose("/massandring/excel", methods=["POST"])
    @staff_access
    def bulk_excel(self):
        def run(case_ids: list[int]):
            workbook = export.export_cases(case_ids, actor=g.user)
            name = f"arenden-{clock.to_local(clock.now()):%Y%m%d-%H%M}.xlsx"
            return send_file(workbook, mimetype=export.XLSX_MIMETYPE, as_attachment=True, download_name=name)

        return self._bulk(run)

    # -- Visa personnummer (issue 9): the full numbers of one case in the lists, logged --------

    @expose("/visa-personnummer", methods=["POST"])
    @staff_access
    def reveal_personnummer(self):
        """Reveal one case's personnummer in the lists (this session); 404 for a case the handler cannot see."""
        case_id = _int(request.form.get("reveal_case"), 0)
        try:
            case = masking_service.reveal_personnummer(case_id, actor=g.user)
        except NotFound:
            abort(404)
        masking.remember_revealed(case.id)
        flash(_("The personnummer in case %(number)s are shown in full.", number=case.number), "info")
        return redirect(masking.safe_back(request.form.get("next"), url_for(f"{self.endpoint}.index")))
