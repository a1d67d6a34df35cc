"""Granskningslogg (F-CASE-8): an administrator lists who opened or changed what, per case and per user.

Admin only: the Handler and Builder roles have no permission on this view, and the
service refuses anyone but an administrator.
"""

from __future__ import annotations

from flask import abort, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import permission_name

from backoffice.views.access import staff_access
from backoffice.views.case_common import current_staff, local_time
from backoffice.views.case_words import audit_details, audit_label
from shared.errors import NotAllowed
from shared.services import audit_log
from shared.services.listing import whole_number


class AuditLogView(BaseView):
    route_base = "/granskningslogg"
    default_view = "list"

    @expose("/")
    @staff_access
    @permission_name("list")
    def list(self):
        case_text = (request.args.get("case") or "").strip()
        username = (request.args.get("user") or "").strip()
        page = whole_number(request.args.get("page")) or 1
        case_number = whole_number(case_text)
        try:
            result = audit_log.audit_page(
                actor=current_staff(), case_number=case_number, username=username or None, page=page
            )
        except NotAllowed:
            abort(403)

        def page_url(number: int) -> str:
            args = {"page": number}
            if case_text:
                args["case"] = case_text
            if username:
                args["user"] = username
            return url_for(f"{self.endpoint}.list", **args)

        return self.render_template(
            "backoffice/audit/list.html",
            result=result,
            case_text=case_text,
            case_invalid=bool(case_text) and case_number is None,
            username=username,
            page_url=page_url,
            local_time=local_time,
            audit_label=audit_label,
            audit_details=audit_details,
            title=None,
        )
