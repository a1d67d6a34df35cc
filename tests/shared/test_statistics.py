"""Statistics per e-service (F-STAT-1) against a hand-counted set of cases.

The period is 2 March – 12 April 2026: ISO weeks 10–15, the months March and April. Sweden
moves to summer time on 29 March, so a case sent in at 00:30 on Monday 30 March (local) is
still Sunday in UTC: it must count in week 14. "Now" is 15 April 12:00.

    case  answer  submitted (local)   history (local)                               now
    c0    alne    Fri 20 Feb 10:00    Klart Tue 10 Mar 10:00 (18 days)              Klart
    c1    alne    Mon  2 Mar 08:00    Klart Thu 12 Mar 08:00 (10 days)              Klart
    c2    alne    Tue  3 Mar 10:00    Klart Mon 23 Mar 10:00 (20 days)              Klart
    c3    bergs   Wed  4 Mar 10:00    Klart Mon 9 Mar 10:00, Under behandling 18/3  Under behandling, overdue
    c4    bergs   Mon 16 Mar 09:00    Klart Wed  1 Apr 10:00 (16 days)              Klart (Rut's)
    c5    alne    Mon 23 Mar 09:00    Arkiverat Thu 2 Apr 10:00 (10 days)           Arkiverat
    c6    bergs   Mon 30 Mar 00:30    –                                             Inskickat
    c7    alne    Mon  6 Apr 10:00    Väntar på komplettering 8 Apr (clock paused)  Väntar, due date passed

Besides: a Bygglov case (another e-service), a draft, and a test run given a number and a
date (which a test run never has) — none of them count.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared import clock
from shared.db import db
from shared.errors import Invalid, NotFound
from shared.models import EService
from shared.services import cases as case_service
from shared.services import statistics
from shared.services.statistics import Period
from tests import factories

TZ = clock.LOCAL_TZ
PERIOD = Period(dt.date(2026, 3, 2), dt.date(2026, 4, 12))
NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=TZ)


def local(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


def utc(value: dt.datetime) -> dt.datetime:
    """As stored: naive UTC."""
    return value.astimezone(dt.UTC).replace(tzinfo=None)


class Cases:
    pass


@pytest.fixture
def made(world, time_machine):
    """The cases of the table above, their history written by the status service at the times given."""
    w = world
    eservice = w.eservice
    eservice.queue_question_id = "skola"
    db.session.commit()
    status = {s.name: s.id for s in eservice.status_group.statuses}

    def case(answer: str, submitted: dt.datetime, due: dt.datetime, **kwargs):
        return factories.case(
            eservice,
            citizen=w.citizen,
            answers=factories.answers(skola=answer),
            submitted_at=utc(submitted),
            due_at=utc(due),
            **kwargs,
        )

    c = Cases()
    time_machine.move_to(local(2, 20, 10), tick=False)
    c.c0 = case("alne", local(2, 20, 10), local(3, 6, 10))
    c.c1 = case("alne", local(3, 2, 8), local(3, 16, 8))
    c.c2 = case("alne", local(3, 3, 10), local(3, 17, 10))
    c.c3 = case("bergs", local(3, 4, 10), local(4, 1, 10))
    c.c4 = case("bergs", local(3, 16, 9), local(3, 30, 9), users=[w.rut])
    c.c5 = case("alne", local(3, 23, 9), local(4, 6, 9))
    c.c6 = case("bergs", local(3, 30, 0, 30), local(4, 20, 10))
    c.c7 = case("alne", local(4, 6, 10), local(4, 10, 10))
    # Never counted: another e-service's case, a draft, a test run.
    bygglov = db.session.scalar(select(EService).where(EService.name == "Bygglov"))
    factories.case(bygglov, submitted_at=utc(local(3, 3, 12)), due_at=utc(local(3, 4, 12)))
    factories.case(eservice, draft=True, answers=factories.answers(skola="alne"))
    factories.case(
        eservice,
        answers=factories.answers(skola="alne"),
        submitted_at=utc(local(3, 3, 12)),
        due_at=utc(local(3, 4, 12)),
        is_test=True,
    )
    db.session.commit()

    for when, which, name in [
        (local(3, 9, 10), c.c3, "Klart"),
        (local(3, 10, 10), c.c0, "Klart"),
        (local(3, 12, 8), c.c1, "Klart"),
        (local(3, 18, 10), c.c3, "Under behandling"),
        (local(3, 23, 10), c.c2, "Klart"),
        (local(4, 1, 10), c.c4, "Klart"),
        (local(4, 2, 10), c.c5, "Arkiverat"),
        (local(4, 8, 10), c.c7, "Väntar på komplettering"),
    ]:
        time_machine.move_to(when, tick=False)
        case_service.change_status(which.id, status[name], actor=w.hanna)
    time_machine.move_to(NOW, tick=False)
    db.session.expire_all()
    return w, c


def test_cases_received_per_week_in_local_weeks_with_the_empty_weeks(made):
    w, _c = made
    weeks = statistics.received_per_week(w.eservice, w.hanna, PERIOD)
    assert [(x.year, x.week, x.monday, x.count) for x in weeks] == [
        (2026, 10, dt.date(2026, 3, 2), 3),  # c1, c2, c3 (not Bygglov's, the draft or the test run)
        (2026, 11, dt.date(2026, 3, 9), 0),  # an empty week
        (2026, 12, dt.date(2026, 3, 16), 1),  # c4
        (2026, 13, dt.date(2026, 3, 23), 1),  # c5 (c6 is Sunday in UTC, Monday in Sweden)
        (2026, 14, dt.date(2026, 3, 30), 1),  # c6
        (2026, 15, dt.date(2026, 4, 6), 1),  # c7
    ]


def test_cases_per_status_now_in_the_groups_order(made):
    w, _c = made
    counts = statistics.cases_per_status(w.eservice, w.hanna, PERIOD)
    # c0 came in before the period; Sparat is no status of a submitted case.
    assert [(s.name, s.is_final, s.count) for s in counts] == [
        ("Inskickat", False, 1),
        ("Under behandling", False, 1),
        ("Väntar på komplettering", False, 1),
        ("Klart", True, 3),
        ("Arkiverat", True, 1),
    ]


def test_median_handling_time_per_month_odd_and_even(made):
    w, _c = made
    months = statistics.handling_time_per_month(w.eservice, w.hanna, PERIOD)
    assert [(m.month, m.median_days, m.cases) for m in months] == [
        # March: c0 18, c1 10, c2 20 days (c3 was closed in March but is open again): the middle one.
        (dt.date(2026, 3, 1), 18.0, 3),
        # April: c4 16 and c5 10 days: the mean of the two.
        (dt.date(2026, 4, 1), 13.0, 2),
    ]
    later = statistics.handling_time_per_month(w.eservice, w.hanna, Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31)))
    assert [(m.median_days, m.cases) for m in later] == [(None, 0)]


def test_overdue_now_as_the_overview_counts(made):
    w, _c = made
    # Open: c3 (due 1 April: overdue), c6 (due 20 April), c7 (due 10 April, but waiting for the applicant).
    assert statistics.overdue_now(w.eservice, w.hanna, PERIOD) == statistics.Overdue(overdue=1, open=3)


def test_queue_length_per_answer_at_each_weeks_end(made):
    w, _c = made
    queue = statistics.queue_lengths(w.eservice, w.hanna, PERIOD)
    assert queue is not None
    assert queue.question_label == "Skola"
    assert queue.answers == [("alne", "Alneskolan"), ("bergs", "Bergsskolan")]
    assert [(p.day, p.counts["alne"], p.counts["bergs"]) for p in queue.points] == [
        (dt.date(2026, 3, 8), 3, 1),  # c0 c1 c2 | c3
        (dt.date(2026, 3, 15), 1, 0),  # c2 | c3 closed, c4 not yet in
        (dt.date(2026, 3, 22), 1, 2),  # c2 | c3 reopened, c4
        (dt.date(2026, 3, 29), 1, 2),  # c5 | c3 c4 (c6 came in on Monday)
        (dt.date(2026, 4, 5), 0, 2),  # - | c3 c6
        (dt.date(2026, 4, 12), 1, 2),  # c7 (waiting is no final status) | c3 c6
    ]


def test_the_week_under_way_is_counted_up_to_now(made, time_machine):
    w, _c = made
    time_machine.move_to(local(3, 11, 12), tick=False)
    queue = statistics.queue_lengths(w.eservice, w.hanna, PERIOD)
    # Week 10 ended; week 11 is under way (c0 closed on the 10th); weeks to come are not shown.
    assert [(p.day, p.counts["alne"], p.counts["bergs"]) for p in queue.points] == [
        (dt.date(2026, 3, 8), 3, 1),
        (dt.date(2026, 3, 11), 2, 0),
    ]


def test_no_queue_without_a_queue_question(made):
    w, _c = made
    w.eservice.queue_question_id = None
    assert statistics.queue_lengths(w.eservice, w.hanna, PERIOD) is None


def test_a_restricted_handler_counts_only_their_cases(made):
    w, _c = made
    assert [x.count for x in statistics.received_per_week(w.eservice, w.rut, PERIOD)] == [0, 0, 1, 0, 0, 0]
    assert [(s.name, s.count) for s in statistics.cases_per_status(w.eservice, w.rut, PERIOD) if s.count] == [
        ("Klart", 1)
    ]
    assert [(m.median_days, m.cases) for m in statistics.handling_time_per_month(w.eservice, w.rut, PERIOD)] == [
        (None, 0),
        (16.0, 1),
    ]
    assert statistics.overdue_now(w.eservice, w.rut, PERIOD) == statistics.Overdue(overdue=0, open=0)
    queue = statistics.queue_lengths(w.eservice, w.rut, PERIOD)
    assert [p.counts["bergs"] for p in queue.points] == [0, 0, 1, 1, 0, 0]


def test_who_sees_which_eservices_statistics(made):
    w, _c = made
    names = lambda user: [e.name for e in statistics.statistics_eservices(user)]  # noqa: E731
    assert names(w.admin) == ["Bygglov", "Skolskjuts"]
    assert names(w.hanna) == ["Skolskjuts"]
    assert names(w.rut) == ["Skolskjuts"]  # restricted: the e-service, with their own cases
    assert names(w.gun) == ["Skolskjuts"]  # through her group
    assert names(w.outsider) == ["Bygglov"]
    assert names(w.builder) == []
    with pytest.raises(NotFound):
        statistics.statistics_eservice(w.eservice.id, actor=w.outsider)
    figures = statistics.eservice_statistics(w.eservice.id, actor=w.admin, period=PERIOD)
    assert sum(x.count for x in figures.received) == 7 and figures.overdue.overdue == 1
    # Bygglov's one case, seen by its handler.
    bygglov = statistics.statistics_eservices(w.outsider)[0]
    assert [x.count for x in statistics.received_per_week(bygglov, w.outsider, PERIOD)] == [1, 0, 0, 0, 0, 0]


def test_the_period_as_typed(ctx, time_machine):
    time_machine.move_to(NOW, tick=False)
    assert statistics.parse_period("", None) == Period(dt.date(2025, 5, 1), dt.date(2026, 4, 15))
    assert statistics.parse_period("2026-03-02", "2026-04-12") == PERIOD
    assert PERIOD.weeks()[0] == dt.date(2026, 3, 2) and len(PERIOD.weeks()) == 6
    assert PERIOD.months() == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    with pytest.raises(Invalid) as error:
        statistics.parse_period("2 mars", "2026-04-12")
    assert error.value.errors == {"start": "Ange ett datum som ÅÅÅÅ-MM-DD."}
    with pytest.raises(Invalid) as error:
        statistics.parse_period("2026-04-12", "2026-03-02")
    assert error.value.errors == {"end": "Slutet får inte vara före början."}
    with pytest.raises(Invalid):
        statistics.parse_period("2010-01-01", "2026-03-02")
