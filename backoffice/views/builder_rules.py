"""The e-service builder's rule sections: notification settings and retention rules.

/byggare/etjanster/<id>/notifieringar              the matrix of events × recipients × channels
                                                   with their texts, placeholder help and a
                                                   preview of one event's texts (F-ES-7, F-NOT-3)
/byggare/etjanster/<id>/gallring                   the retention rules with "N ärenden skulle
                                                   gallras i natt" per rule (F-ES-8)
/byggare/etjanster/<id>/gallring/ny                add a rule (with a preview count before saving)
/byggare/etjanster/<id>/gallring/<rule_id>         edit a rule (likewise)
/byggare/etjanster/<id>/gallring/<rule_id>/ta-bort remove a rule (asks first)

Views are thin: they parse the form, call one service (shared.services.notification_settings
or retention_rules) and render; an ``Invalid`` re-renders the form with what was typed and a
message per field. Roles Builder and Admin have the permissions; the services check again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from backoffice.views.access import staff_access
from backoffice.views.builder_common import EServiceSectionView
from backoffice.views.case_common import local_time
from shared import clock
from shared.errors import Invalid
from shared.models import EService, RetentionAction, RetentionRule
from shared.services import notification_settings as ns
from shared.services import retention_rules as rr


def next_retention_run(now: dt.datetime | None = None) -> dt.datetime:
    """When the nightly retention job runs next (naive UTC), from the scheduler's own trigger."""
    from scheduler.jobs import JOBS
    from scheduler.runner import make_trigger

    now = now or clock.now()
    trigger, _period = make_trigger(JOBS["retention"], current_app)
    fire = trigger.get_next_fire_time(None, now.replace(tzinfo=dt.UTC))
    return fire.astimezone(dt.UTC).replace(tzinfo=None) if fire is not None else now


def count_sentence(count: int | None, *, action: str, requires_approval: bool) -> str:
    """ "N ärenden skulle gallras i natt", in the words of what the rule does."""
    if count is None:
        return _("The rule is switched off.")
    if requires_approval:
        return ngettext(
            "%(num)d case would be proposed for disposal tonight",
            "%(num)d cases would be proposed for disposal tonight",
            count,
        )
    if action == RetentionAction.ANONYMISE:
        return ngettext("%(num)d case would be anonymised tonight", "%(num)d cases would be anonymised tonight", count)
    return ngettext("%(num)d case would be disposed of tonight", "%(num)d cases would be disposed of tonight", count)


class _RulesSection(EServiceSectionView):
    """What both sections share besides the breadcrumb: the sentence of tonight's count."""

    def _render(self, template: str, eservice: EService, status: int = 200, **context: Any):
        return super()._render(template, eservice, status, count_sentence=count_sentence, **context)


# -- notification settings (F-ES-7) --------------------------------------------------------------


class BuilderNotificationsView(_RulesSection):
    """One page: the switches, the texts per event, the placeholder help and a preview."""

    section_title = _l("Notification settings")
    method_permission_name = {"index": "list", "save": "edit"}

    def _page(self, eservice: EService, matrix: ns.NotificationMatrix, **context: Any):
        return self._render(
            "rules_notifications.html",
            eservice,
            matrix=matrix,
            event_labels=ns.EVENT_LABELS,
            recipient_labels=ns.RECIPIENT_LABELS,
            channel_labels=ns.CHANNEL_LABELS,
            cell_name=ns.cell_name,
            placeholders=ns.placeholder_help(),
            **context,
        )

    @expose("/<int:eservice_id>/notifieringar", methods=["GET"])
    @staff_access
    def index(self, eservice_id: int):
        matrix = self._call(ns.notification_matrix, eservice_id)
        return self._page(matrix.eservice, matrix)

    @expose("/<int:eservice_id>/notifieringar", methods=["POST"])
    @staff_access
    def save(self, eservice_id: int):
        saved = self._call(ns.notification_matrix, eservice_id)
        typed = ns.NotificationMatrix(
            eservice=saved.eservice,
            enabled={ns.cell_name(cell) for cell in ns.CELLS if request.form.get(ns.cell_name(cell))},
            texts={f.name: (request.form.get(f.name) or "").replace("\r\n", "\n") for f in ns.all_text_fields()},
            general_mailbox=(request.form.get("general_mailbox") or "").strip(),
        )
        preview_event = request.form.get("preview")
        if preview_event:
            # Nothing is saved: the page shows the typed texts rendered for an example case.
            preview = self._call(ns.preview_event, eservice_id, preview_event, typed.texts)
            errors = ns.check_texts(typed.texts)
            return self._page(
                saved.eservice,
                typed,
                preview_event=preview_event,
                preview=preview,
                errors=errors,
                message=_("The texts have errors. Correct them before you save.") if errors else None,
            )
        try:
            self._call(
                ns.save_notification_settings,
                eservice_id,
                enabled=typed.enabled,
                texts=typed.texts,
                general_mailbox=typed.general_mailbox,
            )
        except Invalid as error:
            return self._page(saved.eservice, typed, errors=error.errors, message=error.message, status=422)
        flash(_("The notification settings have been saved."), "success")
        return redirect(url_for(f"{self.endpoint}.index", eservice_id=eservice_id))


# -- retention rules (F-ES-8) -------------------------------------------------------------------


class BuilderRetentionView(_RulesSection):
    """The rules with tonight's counts; add, edit (with a preview count) and remove."""

    section_title = _l("Retention rules")
    method_permission_name = {"index": "list", "add": "add", "edit": "edit", "delete": "delete"}

    def _form(
        self,
        eservice: EService,
        values: rr.RuleInput,
        *,
        rule: RetentionRule | None = None,
        errors: dict[str, str] | None = None,
        message: str | None = None,
        count: int | None = None,
        status: int = 200,
    ):
        tonight = next_retention_run()
        return self._render(
            "rules_retention_form.html",
            eservice,
            status=status,
            rule=rule,
            values=asdict(values),
            statuses=rr.statuses(eservice),
            approvers=rr.approvers(),
            action_labels=rr.ACTION_LABELS,
            errors=errors or {},
            message=message,
            count=count,
            tonight=local_time(tonight),
        )

    @expose("/<int:eservice_id>/gallring", methods=["GET"])
    @staff_access
    def index(self, eservice_id: int):
        tonight = next_retention_run()
        eservice, rows = self._call(rr.retention_rules, eservice_id, now=tonight)
        return self._render(
            "rules_retention.html",
            eservice,
            rows=rows,
            action_labels=rr.ACTION_LABELS,
            tonight=local_time(tonight),
        )

    def _submit(self, eservice: EService, rule: RetentionRule | None):
        data = rr.input_from_form(request.form)
        rule_id = rule.id if rule is not None else None
        try:
            if request.form.get("preview"):
                count = self._call(rr.preview_rule, eservice.id, data, now=next_retention_run(), rule_id=rule_id)
                return self._form(eservice, data, rule=rule, count=count)
            if rule is None:
                self._call(rr.create_retention_rule, eservice.id, data)
                flash(_("The retention rule has been added."), "success")
            else:
                self._call(rr.update_retention_rule, eservice.id, rule.id, data)
                flash(_("The retention rule has been saved."), "success")
        except Invalid as error:
            return self._form(eservice, data, rule=rule, errors=error.errors, message=error.message, status=422)
        return redirect(url_for(f"{self.endpoint}.index", eservice_id=eservice.id))

    @expose("/<int:eservice_id>/gallring/ny", methods=["GET", "POST"])
    @staff_access
    def add(self, eservice_id: int):
        eservice = self._call(rr.rule_form, eservice_id)
        if request.method == "GET":
            return self._form(eservice, rr.RuleInput())
        return self._submit(eservice, None)

    @expose("/<int:eservice_id>/gallring/<int:rule_id>", methods=["GET", "POST"])
    @staff_access
    def edit(self, eservice_id: int, rule_id: int):
        eservice, rule = self._call(rr.retention_rule, eservice_id, rule_id)
        if request.method == "GET":
            return self._form(eservice, rr.RuleInput.of(rule), rule=rule)
        return self._submit(eservice, rule)

    @expose("/<int:eservice_id>/gallring/<int:rule_id>/ta-bort", methods=["GET", "POST"])
    @staff_access
    def delete(self, eservice_id: int, rule_id: int):
        eservice, rule = self._call(rr.retention_rule, eservice_id, rule_id)
        if request.method == "GET":
            return self._render("rules_retention_delete.html", eservice, rule=rule, action_labels=rr.ACTION_LABELS)
        self._call(rr.delete_retention_rule, eservice_id, rule_id)
        flash(_("The retention rule has been removed."), "success")
        return redirect(url_for(f"{self.endpoint}.index", eservice_id=eservice_id))
