"""The sections of one e-service in the builder: the hub page links to each of them.

Every entry is ``(endpoint, label)``: the Flask endpoint of a view that takes the argument
``eservice_id`` (URL ``/byggare/etjanster/<int:eservice_id>/<section>``), and its Swedish
label (lazy_gettext with an English msgid). Each part of the builder appends its own entries
below with a small edit; the hub page (backoffice/views/builder_eservices.py) shows, in this
order, only those whose endpoint is registered in the app, so an entry may be added before
its view exists.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

SECTIONS: list[tuple[str, LazyString]] = [
    # -- core (A) --
    ("BuilderHandlerLinksView.index", _l("Handlers and groups")),
    # -- end of core (A) --
    # -- form editor (D) --
    ("FormEditorView.versions", _l("Form and versions")),
    # -- end of form editor (D) --
    # -- rules (C) --
    ("BuilderNotificationsView.index", _l("Notification settings")),
    ("BuilderRetentionView.index", _l("Retention rules")),
    # -- end of rules (C) --
    # -- details (B) --
    ("BuilderAssignmentRulesView.index", _l("Automatic assignment")),
    ("BuilderColoursView.index", _l("Colour legend")),
    ("BuilderSummaryFieldsView.index", _l("Summary fields")),
    ("BuilderExcelColumnsView.index", _l("Excel columns")),
    ("BuilderMessageTemplatesView.index", _l("Message templates")),
    ("BuilderPersonalDataView.index", _l("Personal data (GDPR)")),
    # -- end of details (B) --
    # -- test mode (F-ES-4) --
    ("EServiceTestView.eservice", _l("Test the e-service")),
    # -- end of test mode --
]
