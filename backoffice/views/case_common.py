"""What every screen of the case view (ärendevyn) shares: loading the case, the page frame, errors.

A tab is opened through ``audit.record_case_view`` (which checks that the user may see the
case and logs the opening, F-CASE-8). An action calls one service; the service's
DomainError becomes a flash message, NotFound the 404 page, NotAllowed a 403 page that
says why.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_login import current_user

from shared import clock, forms
from shared.db import db
from shared.errors import DomainError, Invalid, NotAllowed, NotFound
from shared.forms.html import file_size
from shared.models import Case, StaffUser
from shared.services import access, audit, case_queries

# The tool panels a tab can show above its content (?verktyg=…), each needing one access action.
TOOL_PANELS = {
    "handlaggare": "assign",
    "status": "change_status",
    "farg": "colour",
    "ta-bort-mig": "remove_self",
}
_COLOUR = re.compile(r"^#?[A-Za-z0-9]{1,20}$")


def local_time(value: dt.datetime | None) -> str:
    """A stored (UTC) time as Swedish local time, to the minute."""
    local = clock.to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local is not None else ""


def local_date(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = clock.to_local(value)
    return value.strftime("%Y-%m-%d")


def css_colour(value: str | None) -> str | None:
    """The colour as CSS may take it, or None (a builder's value never reaches a style attribute unchecked)."""
    return value if value and _COLOUR.match(value) else None


def overview_url() -> str:
    """The case overview (Ärenden, GET /arenden/), wherever the back office is mounted; else the start page."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == "/arenden/" and "GET" in (rule.methods or ()):
            return url_for(rule.endpoint)
    return current_app.appbuilder.get_url_for_index


def current_staff() -> StaffUser:
    """The logged-in back-office user, from this request's session."""
    user = db.session.get(StaffUser, current_user.id)
    if user is None:  # pragma: no cover - the login decorator ran first
        abort(403)
    return user


def case_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the services' errors into what the user sees: 404, a 403 page with the reason, or a flash."""

    @functools.wraps(view)
    def wrapper(self: CaseScreen, case_id: int, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(self, case_id, *args, **kwargs)
        except NotFound:
            db.session.rollback()
            abort(404)
        except NotAllowed as error:
            db.session.rollback()
            return self.denied(str(error), case_id)
        except DomainError as error:
            db.session.rollback()
            flash(invalid_text(error) if isinstance(error, Invalid) else str(error), "danger")
            return redirect(self.back_url(case_id))

    return wrapper


class CaseScreen(BaseView):
    """The frame of the case view: header (F-CASE-1), tab bar (F-CASE-2) and the Verktyg box."""

    route_base = "/arenden"
    default_view = "show"

    def open_case(self, case_id: int) -> tuple[StaffUser, Case]:
        """Load the case for the user and log the opening; 404 if they may not see it."""
        user = current_staff()
        try:
            case = audit.record_case_view(case_id, actor=user)
        except NotFound:
            abort(404)
        return user, case

    @staticmethod
    def flash_success(text: str) -> None:
        flash(text, "success")

    def case_url(self, case_id: int, tab: str = "show", **values: Any) -> str:
        return url_for(f"{self.endpoint}.{tab}", case_id=case_id, **values)

    def back_url(self, case_id: int, default_tab: str = "show") -> str:
        """Where an action returns: the tab it was sent from (form field ``next``), if it is this case's."""
        wanted = request.form.get("next") or ""
        base = self.case_url(case_id)
        parts = urlsplit(wanted)
        if (
            not parts.scheme
            and not parts.netloc
            and parts.path
            and (parts.path == base or parts.path.startswith(base + "/"))
        ):
            return parts.path + (f"?{parts.query}" if parts.query else "")
        return self.case_url(case_id, default_tab)

    def denied(self, message: str, case_id: int | None = None):
        """A 403 page that says why (the service's reason), with the way back to the case."""
        back = self.case_url(case_id) if case_id is not None else None
        return self.render_template("backoffice/case/denied.html", message=message, back=back), 403

    def still_visible(self, user: StaffUser, case_id: int) -> bool:
        """Whether the user still sees the case after a change (a restricted handler may lose it)."""
        db.session.expire_all()
        return access.can(user, "view", db.session.get(Case, case_id))

    def take_over_page(self, user: StaffUser, case_id: int, holders: str | None, next_url: str):
        """Ask "Ta över?": the case is held by someone else; name them before taking it from them."""
        case = db.session.get(Case, case_id)
        return self.render_case(
            "backoffice/case/confirm_take_over.html", user, case, "show", holders=holders, next_url=next_url
        )

    def render_case(self, template: str, user: StaffUser, case: Case, tab: str, *, status: int = 200, **context: Any):
        """Render a tab of the case view inside the header, tab bar and Verktyg box."""
        header = case_queries.case_header(case, user)
        panel = request.args.get("verktyg")
        if panel not in TOOL_PANELS or not header.allowed.get(TOOL_PANELS[panel]):
            panel = None
        if panel and "panel_context" not in context:
            context["panel_context"] = self.panel_context(panel, case)
        page = self.render_template(
            template,
            case=case,
            h=header,
            tab=tab,
            panel=panel,
            user=user,
            here=request.full_path.rstrip("?"),
            overview_url=overview_url(),
            local_time=local_time,
            local_date=local_date,
            file_size=file_size,
            css_colour=css_colour,
            display_value=forms.display_value,
            now_utc=clock.now(),
            **context,
        )
        return page, status

    def panel_context(self, panel: str, case: Case) -> dict[str, Any]:
        """What a tool panel lists: the assignable people and groups, the statuses, the colours."""
        if panel == "handlaggare":
            people, groups = case_queries.assignable(case)
            return {"people": people, "groups": groups}
        if panel == "status":
            return {"statuses": case_queries.settable_statuses(case)}
        return {}


def invalid_text(error: Invalid) -> str:
    """The message of an Invalid with its field errors, for a flash message."""
    details = [text for text in error.errors.values() if text and text != error.message]
    return " ".join([error.message, *details])


def int_or_none(value: str | None) -> int | None:
    """A posted id as an int, None when empty; anything else is a bad request (400)."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        abort(400)
