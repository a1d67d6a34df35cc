"""Two handlers take the same case at the same moment: one wins, the other is told who (F-CASE-3).

PostgreSQL only: it is where web workers run side by side. A third connection holds the
case row locked until both takes are waiting on it, so they really contend; without the
row lock in take_case both would read "unassigned" and both would win.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from shared.db import db
from shared.errors import AlreadyTaken
from shared.models import Case, StaffUser
from shared.services import cases
from tests import factories


def _waiting_on_locks() -> int:
    with db.engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()


def _race(app, case_id: int, handler_ids: list[int], hold_lock, release_when_waiting) -> dict[int, object]:
    """Both handlers take the case while another connection holds it locked; release, then collect."""
    results: dict[int, object] = {}

    def take(user_id: int) -> None:
        with app.app_context():
            try:
                actor = db.session.get(StaffUser, user_id)
                results[user_id] = cases.take_case(case_id, actor=actor).id
            except Exception as error:  # noqa: BLE001 - AlreadyTaken expected; anything else fails below
                results[user_id] = error
            finally:
                db.session.remove()

    release = hold_lock()
    threads = [threading.Thread(target=take, args=(user_id,)) for user_id in handler_ids]
    for thread in threads:
        thread.start()
    release_when_waiting()
    release()
    for thread in threads:
        thread.join(timeout=20)
    return results


def _assert_one_winner_and_the_loser_told_who(results: dict[int, object], case_id: int) -> None:
    winners = [uid for uid, outcome in results.items() if outcome == case_id]
    losers = [outcome for outcome in results.values() if isinstance(outcome, AlreadyTaken)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].by == db.session.get(StaffUser, winners[0]).display_name
    db.session.expire_all()
    assert [u.id for u in db.session.get(Case, case_id).handler_users] == winners


def test_two_handlers_take_the_same_case_at_once(ctx, world):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks between web workers: PostgreSQL (the SQLite variant is below)")
    case = factories.case(world.eservice)
    db.session.commit()

    def hold_lock():
        holder = db.engine.connect()
        transaction = holder.begin()
        holder.execute(sa.text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": case.id})

        def release():
            transaction.rollback()
            holder.close()

        return release

    def release_when_waiting():
        deadline = time.monotonic() + 10
        while _waiting_on_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.02)

    results = _race(ctx, case.id, [world.hanna.id, world.olle.id], hold_lock, release_when_waiting)
    _assert_one_winner_and_the_loser_told_who(results, case.id)


def test_two_handlers_take_the_same_case_at_once_on_embedded_sqlite(ctx, world):
    """The embedded default runs a threaded server and an in-process scheduler on one SQLite file."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    case = factories.case(world.eservice)
    db.session.commit()

    def hold_lock():
        holder = db.engine.raw_connection()
        holder.execute("BEGIN IMMEDIATE")  # the write lock, as a writer in another thread holds it

        def release():
            holder.rollback()
            holder.close()

        return release

    results = _race(ctx, case.id, [world.hanna.id, world.olle.id], hold_lock, lambda: time.sleep(0.3))
    _assert_one_winner_and_the_loser_told_who(results, case.id)
