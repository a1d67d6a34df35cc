"""Schemalagda jobb (F-JOB-5): administrators see each scheduled job, its latest run and the run log.

The jobs (names, descriptions, schedules) come from the scheduler's registry
(scheduler/jobs.py); the runs from shared/services/job_log.py, which refuses anyone but
an administrator. The Handler and Builder roles have no permission on this view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.views.access import staff_access
from backoffice.views.case_common import current_staff
from scheduler.jobs import JOBS, JobSpec
from scheduler.runner import describe_schedule
from shared import clock
from shared.errors import NotAllowed
from shared.models import JobRun
from shared.services import job_log
from shared.services import jobs as job_runs
from shared.services.listing import whole_number

STATE_LABELS = {
    job_runs.RUNNING: _l("Running"),
    job_runs.OK: _l("Finished"),
    job_runs.FAILED: _l("Run failed"),
    job_runs.INTERRUPTED: _l("Interrupted"),
}
# How each state looks: a failed run stands out (Bootstrap's text colours meet WCAG AA on white).
STATE_STYLES = {
    job_runs.RUNNING: ("text-info", "fa-play"),
    job_runs.OK: ("text-success", "fa-check"),
    job_runs.FAILED: ("text-danger", "fa-exclamation-triangle"),
    job_runs.INTERRUPTED: ("text-warning", "fa-exclamation-circle"),
}
# What the jobs count (JobReport.counts), in words; a key not listed is shown as it is.
COUNT_LABELS = {
    # dispatch
    "sent": _l("sent"),
    "retry": _l("to be tried again"),
    "failed": _l("failed"),
    "uncertain": _l("possibly delivered"),
    "recovered": _l("taken back"),
    "due": _l("due"),
    "email": _l("e-mail"),
    "sms": _l("SMS"),
    "portal": _l("Mina sidor"),
    # overdue
    "overdue": _l("cases overdue"),
    # retention
    "deleted": _l("cases deleted"),
    "anonymised": _l("cases anonymised"),
    "proposed": _l("cases proposed for destruction"),
    "would_delete": _l("cases would be deleted"),
    "would_anonymise": _l("cases would be anonymised"),
    "would_propose": _l("cases would be proposed for destruction"),
    # absence_expiry
    "ended": _l("absences ended"),
    "would_end": _l("absences would end"),
    # mailing_deadlines
    "moved": _l("cases moved"),
    "mailings_done": _l("mailings done"),
    "would_move": _l("cases would move"),
    # subtask_reminders
    "reminded": _l("reminders sent"),
    "would_remind": _l("reminders would be sent"),
    # abandoned_tests (Testa e-tjänsten)
    "tests_deleted": _l("test runs deleted"),
    "would_delete_tests": _l("test runs would be deleted"),
}
# What the run log stores in English (shared/services/jobs.py), in the UI's language.
_KNOWN_ERRORS = {
    "The scheduler process stopped during the run.": _l("The scheduler process stopped during the run."),
}


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


def counts_text(counts: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """A run's counts as (words, number) pairs, in the order the job reported them."""
    return [(str(COUNT_LABELS.get(key, key)), value) for key, value in (counts or {}).items()]


def error_text(error: str | None) -> str:
    if not error:
        return ""
    return str(_KNOWN_ERRORS.get(error, error))


def error_summary(error: str | None) -> str:
    """The line of a traceback that says what went wrong (its last line), else the error's first line."""
    lines = [line for line in error_text(error).strip().splitlines() if line.strip()]
    if not lines:
        return ""
    summary = lines[-1] if len(lines) > 1 and lines[0].startswith("Traceback") else lines[0]
    return summary if len(summary) <= 160 else summary[:159].rstrip() + "…"


def local_seconds(value: dt.datetime | None) -> str:
    """A stored (UTC) time as Swedish local time, to the second (jobs run every 30 seconds)."""
    local = clock.to_local(value)
    return local.strftime("%Y-%m-%d %H:%M:%S") if local is not None else ""


def duration(run: JobRun) -> str:
    """How long a run took: "0,4 s", "12 s", "3 min 5 s", "1 h 2 min"; empty while it runs."""
    if run.ended_at is None or run.started_at is None:
        return ""
    seconds = max((run.ended_at - run.started_at).total_seconds(), 0.0)
    if seconds < 10:
        return _("%(seconds)s s", seconds=f"{seconds:.1f}".replace(".", ","))
    if seconds < 60:
        return _("%(seconds)s s", seconds=int(round(seconds)))
    minutes, rest = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return _("%(minutes)s min %(seconds)s s", minutes=minutes, seconds=rest)
    hours, minutes = divmod(minutes, 60)
    return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)


@dataclass
class JobLine:
    spec: JobSpec
    schedule: str
    last: JobRun | None


class JobRunView(BaseView):
    route_base = "/drift/jobb"
    default_view = "list"

    @expose("/")
    @staff_access
    @permission_name("list")
    def list(self):
        user = current_staff()
        job = (request.args.get("job") or "").strip()
        state = (request.args.get("state") or "").strip()
        if job and job not in JOBS:
            flash(_("There is no job %(name)s.", name=job), "warning")
            job = ""
        if state and state not in job_log.STATES:
            flash(_("The state filter could not be read."), "warning")
            state = ""
        page = whole_number(request.args.get("page")) or 1
        try:
            latest = job_log.latest_runs(actor=user)
            result = job_log.job_runs_page(actor=user, job=job or None, state=state or None, page=page)
        except NotAllowed:
            abort(403)
        app = current_app._get_current_object()
        lines = [JobLine(spec, describe_schedule(spec, app), latest.get(name)) for name, spec in JOBS.items()]

        def page_url(number: int) -> str:
            args: dict[str, Any] = {"page": number}
            if job:
                args["job"] = job
            if state:
                args["state"] = state
            return url_for(f"{self.endpoint}.list", **args)

        return self.render_template(
            "backoffice/jobs/list.html",
            lines=lines,
            result=result,
            jobs=JOBS,
            job=job,
            state=state,
            states=job_log.STATES,
            page_url=page_url,
            state_label=state_label,
            state_style=lambda value: STATE_STYLES.get(value, ("", "fa-question")),
            counts_text=counts_text,
            error_text=error_text,
            error_summary=error_summary,
            local_seconds=local_seconds,
            duration=duration,
            title=None,
        )
