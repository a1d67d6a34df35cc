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
from backoffice.views.builder_core_base import BuilderScreen, actor, error_message, form_data
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
        try:
            rows = eservices.list_categories(actor=actor())
        except DomainError as error:
            return self.fail(error, url_for("StartView.start"))
        return self.render_template("backoffice/builder/core_category_list.html", rows=rows, title=_("Categories"))

    @expose("/ny", methods=["GET", "POST"])
    @staff_access
    def add(self):
        if request.method == "POST":
            data = form_data()
            try:
                category = eservices.create_category(data, actor=actor())
            except Invalid as error:
                return self._form(None, data, error)
            except DomainError as error:
                return self.fail(error, url_for(f"{self.endpoint}.list"))
            return self.saved(
                _("The category %(name)s has been created.", name=category.name), url_for(f"{self.endpoint}.list")
            )
        return self._form(None, {"sort_order": 0})

    @expose("/<int:category_id>", methods=["GET", "POST"])
    @staff_access
    def edit(self, category_id: int):
        back = url_for(f"{self.endpoint}.list")
        try:
            category = eservices.get_category(category_id, actor=actor())
        except DomainError as error:
            return self.fail(error, back)
        if request.method == "POST":
            data = form_data()
            try:
                eservices.update_category(category_id, data, actor=actor())
            except Invalid as error:
                return self._form(category_id, data, error)
            except DomainError as error:
                return self.fail(error, back)
            return self.saved(_("The changes to %(name)s have been saved.", name=category.name), back)
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
        return self.render_template(
            "backoffice/builder/core_category_form.html",
            values=values,
            errors=error.errors if error else {},
            message=error_message(error) if error else None,
            labels=FIELD_LABELS,
            action=action,
            title=title,
        )
