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
    # Masked personnummer in every list, "Visa personnummer" (issue 9): backoffice/views/masking.py.
    from backoffice.views import masking

    masking.register(app)
    # -- end of the case overview -----------------------------------------------------------

    # -- Exportera till Excel (F-EXP-1): reached from the overview's tools ------------------
    from backoffice.views.export import ExportView

    appbuilder.add_view_no_menu(ExportView)
    # -- end of Exportera till Excel ----------------------------------------------------------

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

    # -- Deluppgifter (F-SUB-*): the subtask page and Mina deluppgifter ------------------------
    from backoffice.views.subtask import SubtaskView

    appbuilder.add_view(
        SubtaskView,
        "My subtasks",
        icon="fa-tasks",
        label=_l("My subtasks"),
        category="Cases",
        category_label=_l("Cases"),
    )
    # -- end of Deluppgifter ---------------------------------------------------------------------

    # -- Utskick (F-MAIL-1/2): the mailings, Skapa utskick and each mailing's summary ------------
    from backoffice.views.mailing import MailingView

    appbuilder.add_view(
        MailingView,
        "Mailings",
        icon="fa-paper-plane",
        label=_l("Mailings"),
        category="Cases",
        category_label=_l("Cases"),
    )
    # -- end of Utskick ----------------------------------------------------------------------------

    # -- Statistik (F-STAT-1): per e-service, for handlers and administrators -----------------------
    from backoffice.views.statistics import StatisticsView

    appbuilder.add_view(
        StatisticsView,
        "Statistics",
        icon="fa-bar-chart",
        label=_l("Statistics"),
        category="Cases",
        category_label=_l("Cases"),
    )
    # -- end of Statistik ---------------------------------------------------------------------------

    # -- Drift: Utkorg (F-NOT-4) and Schemalagda jobb (F-JOB-5); Admin only -----------------
    from backoffice.views.jobs import JobRunView
    from backoffice.views.outbox import OutboxView

    appbuilder.add_view(
        OutboxView,
        "Outbox",
        label=_l("Outbox"),
        icon="fa-envelope-o",
        category="Operations",
        category_label=_l("Operations"),
        category_icon="fa-cogs",
    )
    appbuilder.add_view(
        JobRunView, "Scheduled jobs", label=_l("Scheduled jobs"), icon="fa-clock-o", category="Operations"
    )
    # -- end of Drift -------------------------------------------------------------------------

    # -- Frånvaro och gruppbrevlådor (F-GRP-3) -------------------------------------------------
    from backoffice.views.absence import AbsenceView
    from backoffice.views.mailbox import GroupMailboxView

    appbuilder.add_view(
        AbsenceView,
        "My absence",
        icon="fa-calendar-times-o",
        label=_l("My absence"),
        category="Absence and mailboxes",
        category_label=_l("Absence and mailboxes"),
        category_icon="fa-inbox",
    )
    appbuilder.add_view(
        GroupMailboxView,
        "Group mailbox",
        icon="fa-inbox",
        label=_l("Group mailbox"),
        category="Absence and mailboxes",
        category_label=_l("Absence and mailboxes"),
    )
    appbuilder.add_link(
        "Absence management",
        href="AbsenceView.manage",
        icon="fa-users",
        label=_l("Absence management"),
        category="Absence and mailboxes",
        category_label=_l("Absence and mailboxes"),
    )
    # -- end of absence and group mailboxes ---------------------------------------------------

    # -- E-tjänster for builders, core (issue 6 part A: F-ES-1, F-ES-5, F-ES-14, F-GRP-1) -------
    from backoffice.views.builder_categories import BuilderCategoriesView
    from backoffice.views.builder_eservices import BuilderEServicesView
    from backoffice.views.builder_groups import BuilderHandlerGroupsView
    from backoffice.views.builder_handler_links import BuilderHandlerLinksView
    from backoffice.views.builder_statuses import BuilderStatusGroupsView

    builder_menu = {"category": "E-services", "category_label": _l("E-services")}
    appbuilder.add_view(
        BuilderEServicesView,
        "E-service list",
        icon="fa-wpforms",
        label=_l("E-services"),
        category_icon="fa-wrench",
        **builder_menu,
    )
    appbuilder.add_view(
        BuilderCategoriesView, "E-service categories", icon="fa-tags", label=_l("Categories"), **builder_menu
    )
    appbuilder.add_view(
        BuilderStatusGroupsView, "Status groups", icon="fa-list-ol", label=_l("Status groups"), **builder_menu
    )
    appbuilder.add_view(
        BuilderHandlerGroupsView, "Handler groups", icon="fa-users", label=_l("Handler groups"), **builder_menu
    )
    appbuilder.add_view_no_menu(BuilderHandlerLinksView)
    # -- end of E-tjänster, core ---------------------------------------------------------------

    # -- details (B): colour legend, summary fields, Excel columns, message templates,
    # assignment rules, personal data (F-ES-6, 9-13), sections of the e-service hub ----------
    from backoffice.views.builder_details import VIEWS as BUILDER_DETAIL_VIEWS

    for builder_detail_view in BUILDER_DETAIL_VIEWS:
        appbuilder.add_view_no_menu(builder_detail_view)
    # -- end of details (B) ------------------------------------------------------------------

    # -- rules (C): notification settings (F-ES-7) and retention rules (F-ES-8), sections of
    # the e-service hub ------------------------------------------------------------------------
    from backoffice.views.builder_rules import BuilderNotificationsView, BuilderRetentionView

    appbuilder.add_view_no_menu(BuilderNotificationsView)
    appbuilder.add_view_no_menu(BuilderRetentionView)
    # -- end of rules (C) ---------------------------------------------------------------------

    # -- form editor (D): the e-service's form, versions, publish, import/export (F-ES-2, F-ES-3) --
    from backoffice.views.form_editor import FormEditorView

    appbuilder.add_view_no_menu(FormEditorView)
    # -- end of form editor (D) ----------------------------------------------------------------

    # -- test mode (issue 6 item 3, F-ES-4): Verktyg > Testa e-tjänster, for builders and handlers --
    from backoffice.views.eservice_test import EServiceTestView

    appbuilder.add_view(
        EServiceTestView,
        "Test e-services",
        icon="fa-flask",
        label=_l("Test e-services"),
        category="Tools",
        category_label=_l("Tools"),
        category_icon="fa-wrench",
    )
    # -- end of test mode ------------------------------------------------------------------------

    # -- REST API (F-EXP-2): /api/v1/eservices, /api/v1/cases, the OpenAPI document; API-nycklar --
    from backoffice.api import register_api
    from backoffice.views.api_keys import ApiKeysView

    register_api(app, appbuilder)
    appbuilder.add_view(
        ApiKeysView,
        "API keys",
        icon="fa-key",
        label=_l("API keys"),
        category="Security",
        category_label=_l("Security"),
    )
    # -- end of REST API ----------------------------------------------------------------------

    # AppBuilder adds its Security menu first; staff expect Start leftmost, then Ärenden.
    items = appbuilder.menu.get_list()
    items.sort(key=lambda item: {"Start": 0, "Cases": 1, "Absence and mailboxes": 2}.get(item.name, 3))
