"""Every back-office screen, added to AppBuilder in one place (menu order follows)."""

from __future__ import annotations

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from backoffice.views.errors import register_error_pages


def register_views(app: Flask, appbuilder: AppBuilder) -> None:
    """Add the blueprints and AppBuilder views; the start page is AppBuilder's index view."""
    register_error_pages(app)
    appbuilder.add_link("Start", href="StartView.start", icon="fa-home", label=_l("Start"))
    # The case screens (Handler) and configuration screens (Builder) are added here.

    # -- Ärenden (the case overview, F-LIST-1..5): first under the Cases menu ----------------
    from backoffice.views.overview import CaseOverviewView

    appbuilder.add_view(
        CaseOverviewView,
        "Case overview",
        icon="fa-list",
        label=_l("Case overview"),
        category="Cases",
        category_label=_l("Cases"),
        category_icon="fa-folder-open",
    )
    # -- end of the case overview -----------------------------------------------------------

    # -- Lägg till ärende (manual add, F-LIST-6) ------------------------------------------
    from backoffice.views.manual_add import ManualAddView

    appbuilder.add_view_no_menu(ManualAddView)
    appbuilder.add_link(
        "Add case",
        href="ManualAddView.index",
        icon="fa-plus",
        label=_l("Add case"),
        category="Cases",
        category_label=_l("Cases"),
    )
    # -- end of manual add ------------------------------------------------------------------

    # -- Ärendevyn (the case view, F-CASE-*) and Granskningslogg (F-CASE-8) ----------------
    # CaseView shares the route base /arenden with the overview: a Flask blueprint per view,
    # same url_prefix, and CaseView has only /arenden/<int:case_id>… rules, so none clash.
    from backoffice.views.audit import AuditLogView
    from backoffice.views.case import CaseView

    appbuilder.add_view_no_menu(CaseView)
    appbuilder.add_view(
        AuditLogView,
        "Audit log",
        label=_l("Audit log"),
        icon="fa-eye",
        category="Security",
    )
    # -- end of the case view ---------------------------------------------------------------

    # AppBuilder adds its Security menu first; staff expect Start leftmost, then Ärenden.
    items = appbuilder.menu.get_list()
    items.sort(key=lambda item: {"Start": 0, "Cases": 1}.get(item.name, 2))
