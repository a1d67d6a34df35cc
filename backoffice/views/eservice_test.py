"""Testa e-tjänster (F-ES-4): builders and handlers run a version of an e-service in the portal in test mode.

Under the menu Verktyg, as in Open ePlatform's handler guide: the e-services one may test
(builders and administrators: all; a handler: those linked to them), each e-service's
versions, and the start of a test. Starting checks the user again and writes an audit entry
(shared.services.trial_runs.begin_test), then sends the browser to the portal with a signed
link good for ten minutes; the portal shows the test-mode banner on every page and keeps
nothing as a real case. The endpoint ``EServiceTestView.start`` takes ``eservice_id`` and
``version_id``, so the e-service's hub and version list can link to it.
"""

from __future__ import annotations

from flask import abort, current_app, redirect
from flask_appbuilder import BaseView, expose
from flask_babel import lazy_gettext as _l

from backoffice.views.access import staff_access
from backoffice.views.case_common import current_staff
from shared.errors import NotAllowed, NotFound
from shared.models import VersionState
from shared.services import trial_runs

STATE_LABELS = {
    VersionState.DRAFT: _l("Draft"),
    VersionState.PUBLISHED: _l("Published"),
    VersionState.RETIRED: _l("Archived (a form version)"),
}


def _newest(versions, state: VersionState):
    return next((v for v in sorted(versions, key=lambda v: v.number, reverse=True) if v.state == state), None)


class EServiceTestView(BaseView):
    route_base = "/testa-etjanster"
    default_view = "index"
    # One permission for the three pages: who may test which e-service the service decides.
    method_permission_name = {"index": "list", "eservice": "list", "start": "list"}

    def _denied(self, error: NotAllowed):
        return self.render_template("backoffice/eservice_test/denied.html", message=str(error), title=None), 403

    @expose("/")
    @staff_access
    def index(self):
        """Testa e-tjänster: the e-services the user may test, with their published version and newest draft."""
        eservices = trial_runs.testable_eservices(current_staff())
        rows = [
            (e, _newest(e.versions, VersionState.PUBLISHED), _newest(e.versions, VersionState.DRAFT)) for e in eservices
        ]
        return self.render_template("backoffice/eservice_test/list.html", rows=rows, title=None)

    @expose("/<int:eservice_id>")
    @staff_access
    def eservice(self, eservice_id: int):
        """One e-service's versions, each with its Testa button (a section of the e-service's hub)."""
        try:
            eservice, versions = trial_runs.testable_versions(eservice_id, actor=current_staff())
        except NotFound:
            abort(404)
        except NotAllowed as error:
            return self._denied(error)
        return self.render_template(
            "backoffice/eservice_test/versions.html",
            eservice=eservice,
            versions=versions,
            state_labels=STATE_LABELS,
            title=None,
        )

    @expose("/<int:eservice_id>/versioner/<int:version_id>")
    @staff_access
    def start(self, eservice_id: int, version_id: int):
        """Start a test of the version: to the portal with a link good for ten minutes (audited)."""
        try:
            token = trial_runs.begin_test(eservice_id, version_id, actor=current_staff())
        except NotFound:
            abort(404)
        except NotAllowed as error:
            return self._denied(error)
        portal = (current_app.config.get("PORTAL_URL") or "").rstrip("/")
        return redirect(portal + trial_runs.portal_path(token))
