"""Statistics per e-service (F-STAT-1): volumes, statuses, handling time, overdue and queue lengths.

Pure queries: one function per figure, each given the e-service, the acting user and a
period. Only the cases the user may see count (``access.visible_cases``): a restricted
handler's figures cover the cases assigned to them. Drafts and test runs never count.

Times are stored as naive UTC; weeks and months are Swedish calendar weeks and months
(``clock.LOCAL_TZ``). A figure over weeks covers every whole ISO week the period touches,
one over months every whole month it touches.

The queue (Kulturskolan's "kö per kurs") is defined simply: an e-service has a queue when
its builder has chosen a queue question (E-tjänst → Köfråga, ``EService.queue_question_id``).
A case stands in the queue from its submission until it reaches a final status (Antagen,
Köplats borttagen …), and again if it is reopened; the queue of an answer (a course) is the
number of such cases with that answer. The length at the end of each week is read from the
case history (the ``status_changed`` events), so it shows how the queue grew and shrank.
"""

from __future__ import annotations

import bisect
import datetime as dt
import statistics as pystats
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from shared import clock
from shared.db import db
from shared.errors import Invalid
from shared.forms.structure import find_question, options_of
from shared.models import Case, CaseEvent, EService, StaffUser, Status, StatusKind
from shared.services import access

# A period longer than this makes charts nobody can read (and slow pages).
MAX_PERIOD_DAYS = 5 * 366
DEFAULT_MONTHS = 12


# -- the period ----------------------------------------------------------------------------


def _utc(day: dt.date) -> dt.datetime:
    """Midnight at the start of a Swedish calendar day, as stored (naive UTC)."""
    local = dt.datetime.combine(day, dt.time(0), tzinfo=clock.LOCAL_TZ)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _local_day(value: dt.datetime) -> dt.date:
    local = clock.to_local(value)
    assert local is not None
    return local.date()


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Period:
    """Swedish calendar days from ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    @classmethod
    def last_months(cls, months: int = DEFAULT_MONTHS, today: dt.date | None = None) -> Period:
        """The default period: this month and the months before it, up to today."""
        today = today or clock.today()
        first = _first_of_month(today)
        for _i in range(months - 1):
            first = _first_of_month(first - dt.timedelta(days=1))
        return cls(first, today)

    @property
    def begins(self) -> dt.datetime:
        """The first moment of the period (naive UTC)."""
        return _utc(self.start)

    @property
    def ends(self) -> dt.datetime:
        """The moment just after the period (naive UTC)."""
        return _utc(self.end + dt.timedelta(days=1))

    def weeks(self) -> list[dt.date]:
        """The Mondays of the ISO weeks the period touches."""
        monday, weeks = _monday(self.start), []
        while monday <= self.end:
            weeks.append(monday)
            monday += dt.timedelta(days=7)
        return weeks

    def months(self) -> list[dt.date]:
        """The first days of the months the period touches."""
        month, months = _first_of_month(self.start), []
        while month <= self.end:
            months.append(month)
            month = _next_month(month)
        return months


def parse_period(start: str | None, end: str | None, *, today: dt.date | None = None) -> Period:
    """The period a user typed (ÅÅÅÅ-MM-DD); the default (the last twelve months) for what is left empty."""
    default = Period.last_months(today=today)
    errors: dict[str, str] = {}

    def day(text: str | None, name: str, fallback: dt.date) -> dt.date:
        text = (text or "").strip()
        if not text:
            return fallback
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            errors[name] = _("Enter a date as YYYY-MM-DD.")
            return fallback

    period = Period(day(start, "start", default.start), day(end, "end", default.end))
    if errors:
        raise Invalid(_("Check the period."), errors=errors)
    if period.start > period.end:
        raise Invalid(_("Check the period."), errors={"end": _("The end must not be before the start.")})
    if (period.end - period.start).days > MAX_PERIOD_DAYS:
        raise Invalid(_("Check the period."), errors={"start": _("Choose a period of at most five years.")})
    return period


# -- who sees what ---------------------------------------------------------------------------


def statistics_eservices(actor: StaffUser) -> list[EService]:
    """The e-services whose statistics the user may see, by name (administrators: all; handlers: their own)."""
    return access.handled_eservices(actor)


def statistics_eservice(eservice_id: int, *, actor: StaffUser) -> EService:
    """One e-service whose statistics the user may see; NotFound for any other (reveals nothing)."""
    return access.handled_eservice(eservice_id, actor)


def _cases(eservice: EService, actor: StaffUser) -> Select[Any]:
    """The e-service's submitted cases the user may see (drafts and test runs never)."""
    return access.visible_cases(actor).where(
        Case.eservice_id == eservice.id, Case.is_test.is_(False), Case.submitted_at.is_not(None)
    )


# -- the figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekCount:
    monday: dt.date
    year: int  # ISO year and week: "vecka 1 2026" may begin in December 2025
    week: int
    count: int

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)


def received_per_week(eservice: EService, actor: StaffUser, period: Period) -> list[WeekCount]:
    """Cases received (inskickade) per ISO week, the weeks without any as 0."""
    weeks = period.weeks()
    query = _cases(eservice, actor).where(
        Case.submitted_at >= _utc(weeks[0]), Case.submitted_at < _utc(weeks[-1] + dt.timedelta(days=7))
    )
    counts = Counter(_monday(_local_day(s)) for s in db.session.scalars(query.with_only_columns(Case.submitted_at)))
    return [WeekCount(m, *m.isocalendar()[:2], count=counts[m]) for m in weeks]


@dataclass(frozen=True)
class StatusCount:
    status_id: int
    name: str
    is_final: bool
    count: int


def _statuses(eservice: EService) -> list[Status]:
    """The statuses a submitted case can have, in the status group's order."""
    return [s for s in eservice.status_group.statuses if s.kind != StatusKind.DRAFT]


def cases_per_status(eservice: EService, actor: StaffUser, period: Period) -> list[StatusCount]:
    """The cases received in the period, by the status they have now (open and closed), in the group's order."""
    query = (
        _cases(eservice, actor)
        .where(Case.submitted_at >= period.begins, Case.submitted_at < period.ends)
        .with_only_columns(Case.status_id, func.count())
        .group_by(Case.status_id)
    )
    counts = {status_id: count for status_id, count in db.session.execute(query)}
    return [StatusCount(s.id, s.name, s.is_final, counts.get(s.id, 0)) for s in _statuses(eservice)]


@dataclass(frozen=True)
class MonthMedian:
    month: dt.date  # the first day
    median_days: float | None  # None: no case reached a final status that month
    cases: int


def _days(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 86400


def handling_time_per_month(eservice: EService, actor: StaffUser, period: Period) -> list[MonthMedian]:
    """The median handling time in days (from submitted to a final status) of the cases closed each month.

    A case counts in the month it reached its final status (``Case.closed_at``, which the
    status change sets when a case moves from an open status to a final one). A case that
    was reopened and is open now does not count; one closed again counts when it was last closed.
    """
    months = period.months()
    query = _cases(eservice, actor).where(
        Case.closed_at >= _utc(months[0]), Case.closed_at < _utc(_next_month(months[-1]))
    )
    by_month: dict[dt.date, list[float]] = defaultdict(list)
    for submitted, closed in db.session.execute(query.with_only_columns(Case.submitted_at, Case.closed_at)):
        by_month[_first_of_month(_local_day(closed))].append(_days(submitted, closed))
    return [MonthMedian(m, pystats.median(by_month[m]) if by_month[m] else None, len(by_month[m])) for m in months]


@dataclass(frozen=True)
class Overdue:
    overdue: int  # open, the clock running, past the due date (as the overview's Förfallna tab)
    open: int  # every open case, overdue or not


def overdue_now(eservice: EService, actor: StaffUser, period: Period | None = None) -> Overdue:
    """How many of the e-service's open cases are overdue now, beside how many are open.

    Overdue is what the overview's Förfallna tab shows: open, the due-date clock not paused by
    a status that waits for the applicant, the due date passed. Every open case counts,
    whenever it came in: an old case still open is the one to find (the period is not used).
    """
    now = clock.now()
    open_cases = _cases(eservice, actor).where(Case.closed_at.is_(None))
    overdue = open_cases.where(Case.due_paused_at.is_(None), Case.due_at < now)
    count = func.count()
    return Overdue(
        overdue=db.session.scalar(overdue.with_only_columns(count)) or 0,
        open=db.session.scalar(open_cases.with_only_columns(count)) or 0,
    )


@dataclass(frozen=True)
class QueuePoint:
    day: dt.date  # the Sunday the week ends (or today, for the week under way)
    counts: dict[str, int]  # answer value -> cases in the queue


@dataclass(frozen=True)
class Queue:
    question_label: str
    answers: list[tuple[str, str]]  # (value, label), in the question's order
    points: list[QueuePoint] = field(default_factory=list)


def _queue_question(eservice: EService) -> tuple[str, list[tuple[str, str]]] | None:
    """The queue question's label and its options (every version's, the newest's labels first)."""
    question_id = eservice.queue_question_id
    if not question_id:
        return None
    label, answers = None, {}
    for version in sorted(eservice.versions, key=lambda v: v.number, reverse=True):
        question = find_question(version.definition or {}, question_id)
        if question is None:
            continue
        label = label or str(question.get("label") or question_id)
        for option in options_of(question):
            answers.setdefault(str(option.get("value")), str(option.get("label") or option.get("value")))
    return (label or question_id), list(answers.items())


def _answer_values(value: Any) -> Iterable[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v not in (None, "", [])]


def queue_lengths(eservice: EService, actor: StaffUser, period: Period) -> Queue | None:
    """The queue length per answer of the queue question at the end of each week (None: no queue)."""
    question = _queue_question(eservice)
    if question is None:
        return None
    label, answers = question
    now = clock.now()
    # The moments to count at: each week's end, the week under way up to now; weeks to come have no queue.
    moments: list[tuple[dt.date, dt.datetime]] = []
    for monday in period.weeks():
        if _utc(monday) > now:
            break
        week_end = _utc(monday + dt.timedelta(days=7))
        moments.append((monday + dt.timedelta(days=6), week_end) if week_end <= now else (_local_day(now), now))
    if not moments:
        return Queue(label, answers)
    last = moments[-1][1]
    times = [t for _day, t in moments]

    cases = _cases(eservice, actor).where(Case.submitted_at <= last)
    rows = db.session.execute(
        cases.with_only_columns(Case.id, Case.submitted_at, Case.answers, Case.status_id, Case.closed_at)
    ).all()
    final_by_name = {s.name: s.is_final for s in eservice.status_group.statuses}
    final_ids = {s.id for s in eservice.status_group.statuses if s.is_final}
    history: dict[int, list[tuple[dt.datetime, bool]]] = defaultdict(list)
    events = (
        select(CaseEvent.case_id, CaseEvent.created_at, CaseEvent.data)
        .where(
            CaseEvent.kind == "status_changed",
            CaseEvent.created_at <= last,
            CaseEvent.case_id.in_(cases.with_only_columns(Case.id)),
        )
        .order_by(CaseEvent.created_at, CaseEvent.id)
    )
    for case_id, at, data in db.session.execute(events):
        is_final = final_by_name.get(str((data or {}).get("to_status")))
        if is_final is not None:  # a status renamed since: its line cannot be placed
            history[case_id].append((at, is_final))

    # Each case adds one from the moment it is open until the moment it is closed:
    # a difference array over the moments, summed up at the end.
    known = {value for value, _label in answers}
    extra: dict[str, str] = {}
    steps: dict[str, list[int]] = defaultdict(lambda: [0] * (len(times) + 1))
    for case_id, submitted, case_answers, status_id, closed_at in rows:
        values = _answer_values((case_answers or {}).get(eservice.queue_question_id))
        if not values:
            continue
        changes = history.get(case_id)
        if not changes and status_id in final_ids:
            # Closed without a history line we can read: closed when the case says so.
            changes = [(closed_at or submitted, True)]
        intervals, opened = [], submitted
        for at, is_final in changes or ():
            if is_final and opened is not None:
                intervals.append((opened, at))
                opened = None
            elif not is_final and opened is None:
                opened = at
        if opened is not None:
            intervals.append((opened, None))
        for value in values:
            if value not in known:
                extra.setdefault(value, value)
            counter = steps[value]
            for began, ended in intervals:
                # Counted at the moments t with began <= t < ended.
                counter[bisect.bisect_left(times, began)] += 1
                if ended is not None:
                    counter[bisect.bisect_left(times, ended)] -= 1
    all_answers = answers + sorted(extra.items(), key=lambda pair: pair[1])
    running = {value: 0 for value, _label in all_answers}
    points = []
    for index, (day, _moment) in enumerate(moments):
        for value in running:
            running[value] += steps[value][index] if value in steps else 0
        points.append(QueuePoint(day, dict(running)))
    return Queue(label, all_answers, points)


@dataclass(frozen=True)
class Figures:
    """Every figure of one e-service's statistics page."""

    eservice: EService
    period: Period
    received: list[WeekCount]
    per_status: list[StatusCount]
    handling_time: list[MonthMedian]
    overdue: Overdue
    queue: Queue | None


def eservice_statistics(eservice_id: int, *, actor: StaffUser, period: Period) -> Figures:
    """All the figures of one e-service the user may see, for the period (the statistics page and its Excel file)."""
    eservice = statistics_eservice(eservice_id, actor=actor)
    return Figures(
        eservice=eservice,
        period=period,
        received=received_per_week(eservice, actor, period),
        per_status=cases_per_status(eservice, actor, period),
        handling_time=handling_time_per_month(eservice, actor, period),
        overdue=overdue_now(eservice, actor, period),
        queue=queue_lengths(eservice, actor, period),
    )


__all__ = [
    "Figures",
    "MonthMedian",
    "Overdue",
    "Period",
    "Queue",
    "QueuePoint",
    "StatusCount",
    "WeekCount",
    "cases_per_status",
    "eservice_statistics",
    "handling_time_per_month",
    "overdue_now",
    "parse_period",
    "queue_lengths",
    "received_per_week",
    "statistics_eservice",
    "statistics_eservices",
]
