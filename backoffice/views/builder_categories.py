"""Kategorier: the categories of e-services (the portal's catalogue groups by them, F-POR-1).

URLs under /byggare/kategorier: ``/`` list, ``/ny`` add, ``/<id>`` change, ``/<id>/ta-bort``
confirm and delete. The services are in shared.services.eservices.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_appbuilder import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.views.access import staff_access
from backoffice.views.builder_core_base import BuilderScreen, actor
from shared.errors import DomainError, Invalid
from shared.services import eservices

FIELD_LABELS = {"name": _l("Name"), "description": _l("Description"), "sort_order": _l("Sort order")}


class BuilderCategoriesView(BuilderScreen):
    route_base = "/byggare/kategorier"
    default_view = "list"
    method_permission_name = {"list": "list", "add": "add", "edit": "edit", "delete": "delete"}

    @expose("/")
    @staff_access
    def list(self):
        rows = self.load(eservices.list_categories, back=url_for("StartView.start"))
        return self.render_template("backoffice/builder/core_category_list.html", rows=rows, title=_("Categories"))

    @expose("/ny", methods=["GET", "POST"])
    @staff_access
    def add(self):
        back = url_for(f"{self.endpoint}.list")
        if request.method == "POST":
            return self.submit(
                eservices.create_category,
                redraw=lambda data, error: self._form(None, data, error),
                back=back,
                done=lambda category: (_("The category %(name)s has been created.", name=category.name), back),
            )
        return self._form(None, {"sort_order": 0})

    @expose("/<int:category_id>", methods=["GET", "POST"])
    @staff_access
    def edit(self, category_id: int):
        back = url_for(f"{self.endpoint}.list")
        category = self.load(eservices.get_category, category_id, back=back)
        if request.method == "POST":
            return self.submit(
                eservices.update_category,
                category_id,
                redraw=lambda data, error: self._form(category_id, data, error),
                back=back,
                done=lambda _result: (_("The changes to %(name)s have been saved.", name=category.name), back),
            )
        values = {"name": category.name, "description": category.description, "sort_order": category.sort_order}
        return self._form(category_id, values)

    @expose("/<int:category_id>/ta-bort", methods=["GET", "POST"])
    @staff_access
    def delete(self, category_id: int):
        back = url_for(f"{self.endpoint}.list")
        try:
            category = eservices.get_category(category_id, actor=actor())
            if request.method == "POST":
                name = category.name
                eservices.delete_category(category_id, actor=actor())
                return self.saved(_("The category %(name)s has been deleted.", name=name), back)
        except DomainError as error:
            return self.fail(error, back)
        return self.confirm(
            title=_("Delete the category %(name)s?", name=category.name),
            explanation=_("The e-services in the category stay, without a category."),
            button=_("Delete the category"),
            action=url_for(f"{self.endpoint}.delete", category_id=category_id),
            cancel=back,
            crumbs=[(back, _("Categories")), (None, category.name)],
        )

    def _form(self, category_id: int | None, values: dict[str, Any], error: Invalid | None = None):
        if category_id is None:
            title, action = _("New category"), url_for(f"{self.endpoint}.add")
        else:
            title = _("Change the category")
            action = url_for(f"{self.endpoint}.edit", category_id=category_id)
        return self.form_page(
            "core_category_form.html",
            values,
            error,
            labels=FIELD_LABELS,
            action=action,
            title=title,
        )
