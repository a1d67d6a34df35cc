"""The dispatch job (F-NOT-4): how fast queued e-mail notifications go out.

    .venv/bin/python benchmarks/dispatch.py [--cases N] [--database-url URL] [--batch-size B] [--repeat R]

Queues N e-mail notifications (default 10,000) in the outbox of a fresh PostgreSQL
database, with the standard Swedish texts of a status change, and starts a local SMTP
server (aiosmtpd, in a process of its own so it does not share this one's interpreter).

Then it measures:

- the baseline: a bare ``smtplib`` loop sending the same N messages, already rendered to
  bytes, over one SMTP connection: the most the server and the link can take;
- the dispatch job itself, as the scheduler runs it (``etjanst jobs run dispatch``: the
  job lock, the run log, claiming batches, one SMTP connection per batch, the result of
  every row committed before the next is sent), until the outbox is empty;

and prints notifications per second of each, their ratio (target: at least 0.5), the
peak memory of this process (which runs the dispatcher; the server runs elsewhere), and
checks on the server's side that every notification arrived exactly once (Message-IDs).
Both are measured R times (default 3), each round on a freshly queued outbox, one right
after the other, and the medians are reported: on a shared machine the baseline moves.

Without --database-url a database is created on 127.0.0.1:5432 and dropped at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import resource
import smtplib
import statistics
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_db import database  # noqa: E402
from sqlalchemy import text  # noqa: E402

SENDER = "Exempelby kommun <noreply@exempelby.se>"
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


# -- the SMTP server, in its own process ----------------------------------------------------------


def _serve(port: int, control) -> None:
    from aiosmtpd.controller import Controller

    seen: list[bytes] = []

    class Handler:
        async def handle_DATA(self, _server, _session, envelope):
            found = _MESSAGE_ID.search(envelope.content)
            seen.append(found.group(1) if found else b"")
            return "250 2.0.0 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    control.send("ready")
    while True:
        command = control.recv()
        if command == "stats":
            control.send((len(seen), len(set(seen))))
        elif command == "reset":
            seen.clear()
            control.send("ok")
        else:
            break
    controller.stop()


@contextmanager
def smtp_server():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=_serve, args=(port, child), daemon=True)
    process.start()
    assert parent.recv() == "ready"

    def ask(command: str):
        parent.send(command)
        return parent.recv()

    try:
        yield port, ask
    finally:
        parent.send("stop")
        process.join(timeout=10)


# -- the database ----------------------------------------------------------------------------------


def make_app(url: str, port: int, batch_size: int):
    import config
    from shared.app import create_core_app

    return create_core_app(
        "etjanst_benchmark",
        config.get_config("development"),
        overrides={
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_DEFAULT_SENDER": SENDER,
            "MAIL_SUPPRESS_SEND": False,
            "DISPATCH_BATCH_SIZE": batch_size,
            "DISPATCH_MAX_SECONDS": 3600,
        },
    )


def queue(n: int) -> list[dict]:
    """N due e-mail notifications, as the services write them (standard texts of a status change)."""
    from sqlalchemy import insert

    from shared import clock
    from shared.db import db
    from shared.models import Channel, NotificationEvent, OutboxMessage, OutboxState
    from shared.notify import render, standard_text

    text_ = standard_text(NotificationEvent.STATUS_CHANGED, "applicant")
    now = clock.now()
    rows = []
    for i in range(n):
        values = {
            "arendenummer": 250000 + i,
            "etjanst": "Skolskjuts – ansökan",
            "status": "Beslut fattat",
            "lank": f"https://e-tjanster.exempelby.se/mina-sidor/arenden/{100000 + i}",
            "kommun": "Exempelby kommun",
        }
        rows.append(
            {
                "uuid": str(uuid.uuid4()),
                "event": "status_changed",
                "channel": Channel.EMAIL,
                "recipient_address": f"invanare{i}@example.se",
                "subject": render(text_.subject, values),
                "body": render(text_.body, values),
                "state": OutboxState.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    for start in range(0, n, 2000):
        db.session.execute(insert(OutboxMessage), rows[start : start + 2000])
    db.session.commit()
    return rows


def bare_loop(rows: list[dict], port: int, app) -> float:
    """Seconds for smtplib alone to send the same messages, rendered beforehand, over one connection."""
    from shared.notify.backends import Outgoing, build_email

    with app.app_context():
        payloads = [
            (
                r["recipient_address"],
                build_email(
                    Outgoing(
                        0, r["uuid"], r["channel"], r["recipient_address"], None, None, r["subject"], r["body"], None
                    )
                ).as_bytes(),
            )
            for r in rows
        ]
    started = time.perf_counter()
    connection = smtplib.SMTP("127.0.0.1", port)
    for address, payload in payloads:
        connection.sendmail("noreply@exempelby.se", [address], payload)
    connection.quit()
    return time.perf_counter() - started


def _round(app, port: int, ask, n: int) -> dict:
    """One measurement: queue N afresh, the bare loop, then the dispatch job; checked on the server."""
    from sqlalchemy import func, select

    from scheduler.runner import run_job
    from shared.db import db
    from shared.models import OutboxMessage, OutboxState

    with app.app_context():
        db.session.execute(text("DELETE FROM outbox_message"))
        db.session.execute(text("DELETE FROM job_run"))
        db.session.commit()
        rows = queue(n)
        db.session.remove()
    ask("reset")
    bare_seconds = bare_loop(rows, port, app)
    bare_received, bare_unique = ask("stats")
    ask("reset")
    started = time.perf_counter()
    outcome = run_job(app, "dispatch")
    seconds = time.perf_counter() - started
    received, unique = ask("stats")
    with app.app_context():
        sent = db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == OutboxState.SENT)
        )
        db.session.remove()
    return {
        "bare_seconds": bare_seconds,
        "seconds": seconds,
        "outcome": outcome,
        "exactly_once": received == unique == sent == n and bare_received == bare_unique == n,
        "received": received,
        "unique": unique,
        "sent": sent,
    }


def _dispatch_allocations(app, n: int) -> float:
    """MB the dispatch job allocates at its peak, for N queued (memory stays per batch, not per queue)."""
    import tracemalloc

    from scheduler.runner import run_job
    from shared.db import db

    with app.app_context():
        db.session.execute(text("DELETE FROM outbox_message"))
        db.session.commit()
        queue(n)
        db.session.remove()
    tracemalloc.start()
    try:
        run_job(app, "dispatch")
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="notifications to queue (default 10,000)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--batch-size", type=int, default=100, help="rows claimed per batch (DISPATCH_BATCH_SIZE)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of both measurements (medians are reported)")
    args = parser.parse_args(argv)

    from flask_migrate import upgrade

    from shared.db import db

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with database(args.database_url, label="dispatch") as url, smtp_server() as (port, ask):
        app = make_app(url, port, args.batch_size)
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            db.session.remove()
        print(f"{args.cases:,} e-mail notifications per round; SMTP server (aiosmtpd) on 127.0.0.1:{port}.")
        print()
        print(f"{'round':>5} {'bare s':>8} {'bare/s':>8} {'dispatch s':>11} {'dispatch/s':>11} {'ratio':>6}")
        rounds = []
        for number in range(1, args.repeat + 1):
            result = _round(app, port, ask, args.cases)
            rounds.append(result)
            bare_rate, rate = args.cases / result["bare_seconds"], args.cases / result["seconds"]
            print(
                f"{number:5d} {result['bare_seconds']:8.2f} {bare_rate:8.0f} {result['seconds']:11.2f} "
                f"{rate:11.0f} {rate / bare_rate:6.2f}"
            )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        alloc_mb = _dispatch_allocations(app, args.cases)
        with app.app_context():
            db.engine.dispose()

    per_second = args.cases / statistics.median(r["seconds"] for r in rounds)
    bare_per_second = args.cases / statistics.median(r["bare_seconds"] for r in rounds)
    ratio = statistics.median(r["bare_seconds"] / r["seconds"] for r in rounds)
    last = rounds[-1]
    print()
    print(f"dispatch job (batch {args.batch_size}): {last['outcome'].state} {last['outcome'].counts}")
    print(
        f"server received {last['received']:,} messages with {last['unique']:,} distinct Message-IDs; "
        f"{last['sent']:,} rows sent"
    )
    print(f"peak memory of this process: {peak_mb:.0f} MB ({rss_before:.0f} MB before the database and the rounds)")
    print(f"peak of what the dispatch job itself allocates (tracemalloc, untimed round): {alloc_mb:.1f} MB")
    if not all(r["exactly_once"] for r in rounds):
        print("ERROR: not every notification arrived exactly once", file=sys.stderr)
        return 1
    print(
        f"RESULT per_second={per_second:.0f} bare_per_second={bare_per_second:.0f} ratio={ratio:.2f} peak_mb={peak_mb:.0f} dispatch_alloc_mb={alloc_mb:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
