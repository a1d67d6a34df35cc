"""Exportera till Excel (F-EXP-1): the export page reached from the case overview.

GET /exportera/ shows the choices (the e-service, ?eservice=<id>, then its versions with their
numbers and publishing dates, all checked, and the submitted from/to dates) and the user's
own background exports with their progress. POST /exportera/ exports: up to the threshold
(2,000 cases) the file downloads at once; above, the export is queued, a worker thread
writes it, and the page shows a progress bar (``export.js`` polls
``/exportera/<id>/status``; without the script the "Uppdatera" link reloads) and then the
download link ``/exportera/<id>/fil``, for the owner only, for a day.

Thin: every rule (which e-services, which cases, the threshold, who downloads) is in
``shared.services.export``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.views.access import staff_access
from backoffice.views.case_common import current_staff
from shared import clock
from shared.errors import DomainError, Invalid, NotFound
from shared.models import ExportJob
from shared.services import export

STATE_LABELS = {
    "queued": _l("Export waiting to start"),
    "running": _l("Export running"),
    "done": _l("Export ready"),
    "failed": _l("Export failed"),
    export.EXPIRED: _l("The file has been removed"),
}


def local_time(value: dt.datetime | None) -> str:
    local = clock.to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def count_text(value: int) -> str:
    """A count as Swedes write it: 12 345."""
    return f"{value:,}".replace(",", "\u00a0")


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


class ExportView(BaseView):
    """The export page, its status endpoint and the download; one permission (can_export) for all three."""

    route_base = "/exportera"
    default_view = "index"
    method_permission_name = {"index": "export", "status": "export", "download": "export"}

    # -- helpers ---------------------------------------------------------------------------------

    def _job_status(self, job: ExportJob) -> dict[str, Any]:
        state = export.display_state(job)
        return {
            "id": job.id,
            "state": state,
            "state_text": str(STATE_LABELS.get(state, state)),
            "done": job.done,
            "total": job.total,
            "progress_text": _("%(done)s of %(total)s cases", done=count_text(job.done), total=count_text(job.total)),
            "error": job.error if state == "failed" else None,
            "download_url": url_for(f"{self.endpoint}.download", job_id=job.id) if state == "done" else None,
            "expires_at": local_time(job.expires_at) if state == "done" else None,
        }

    def _page(self, *, form: dict[str, Any], errors: dict[str, str] | None = None, message: str | None = None):
        actor = current_staff()
        eservices = export.exportable_eservices(actor)
        chosen_id = _int(form.get("eservice"))
        if chosen_id is None and len(eservices) == 1:
            chosen_id = eservices[0].id
        eservice = next((e for e in eservices if e.id == chosen_id), None)
        versions = export.exportable_versions(eservice.id, actor=actor) if eservice else []
        checked = {_int(v) for v in form.get("version", [])} if form.get("submitted") else {v.id for v in versions}
        jobs = [(job, self._job_status(job)) for job in export.my_exports(actor)]
        return self.render_template(
            "backoffice/export/index.html",
            title=_("Export to Excel"),
            eservices=eservices,
            eservice=eservice,
            versions=versions,
            checked=checked,
            form=form,
            errors=errors or {},
            message=message,
            jobs=jobs,
            threshold=count_text(export.background_threshold()),
            local_time=local_time,
            local_date=lambda value: clock.to_local(value).strftime("%Y-%m-%d") if value else "",
            count_text=count_text,
            overview_url=url_for("CaseOverviewView.index"),
            unfinished=any(status["state"] in ("queued", "running") for _job, status in jobs),
        )

    # -- the page --------------------------------------------------------------------------------

    @expose("/", methods=["GET", "POST"])
    @staff_access
    def index(self):
        if request.method == "GET":
            return self._page(form={"eservice": request.args.get("eservice")})
        form = {
            "eservice": request.form.get("eservice"),
            "version": request.form.getlist("version"),
            "from": (request.form.get("from") or "").strip(),
            "to": (request.form.get("to") or "").strip(),
            "submitted": True,
        }
        actor = current_staff()
        try:
            criteria = export.read_criteria(request.form, actor=actor)
            started = export.start_export(criteria, actor=actor)
        except Invalid as error:
            return self._page(form=form, errors=error.errors, message=error.message), 422
        except DomainError as error:
            return self._page(form=form, message=error.message), 422
        if started.file is not None:
            return send_file(
                started.file, mimetype=export.XLSX_MIMETYPE, as_attachment=True, download_name=started.file_name
            )
        export.start_worker(started.job.id)
        flash(
            _(
                "The export of %(count)s cases runs in the background. Its progress shows below; the file can be downloaded here when it is ready.",
                count=count_text(started.count),
            ),
            "info",
        )
        return redirect(url_for(f"{self.endpoint}.index", eservice=criteria.eservice_id) + "#bo-exports")

    @expose("/<int:job_id>/status")
    @staff_access
    def status(self, job_id: int):
        """The export's state and progress as JSON (polled by export.js)."""
        try:
            job = export.own_export(job_id, actor=current_staff())
        except NotFound as error:
            return jsonify({"message": error.message}), 404
        return jsonify(self._job_status(job))

    @expose("/<int:job_id>/fil")
    @staff_access
    def download(self, job_id: int):
        """The finished export's file: for its owner only, until it is removed after a day."""
        try:
            stream, name = export.open_export_file(job_id, actor=current_staff())
        except NotFound:
            abort(404)
        except DomainError as error:
            flash(error.message, "warning")
            return redirect(url_for(f"{self.endpoint}.index") + "#bo-exports")
        return send_file(stream, mimetype=export.XLSX_MIMETYPE, as_attachment=True, download_name=name)
