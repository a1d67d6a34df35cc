"""The `etjanst` command: serve, demo, db, scheduler, jobs."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Sequence

import click

import config as config_module


def _core_app():
    from shared.app import create_core_app

    return create_core_app("etjanst")


def _backoffice_app(**overrides):
    from backoffice import create_app

    return create_app(overrides=overrides or None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Etjänst: e-services for municipalities. Settings come from ETJANST_* variables."""


@cli.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database to the latest schema and sync roles and permissions."""
    from flask_migrate import upgrade

    app = _core_app()
    with app.app_context():
        upgrade(directory=str(config_module.BASE_DIR / "migrations"), revision=revision)
    # Permissions are synced here, once per deploy, not by every web worker.
    bo = _backoffice_app(FAB_UPDATE_PERMS=False)
    with bo.app_context():
        from backoffice.security import sync_roles

        sync_roles(bo.appbuilder)
    click.echo(f"Database at {_safe_url(app.config['SQLALCHEMY_DATABASE_URI'])} is up to date.")


@db.command("current")
def db_current() -> None:
    """Show the current migration revision."""
    from flask_migrate import current

    app = _core_app()
    with app.app_context():
        current(directory=str(config_module.BASE_DIR / "migrations"))


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@cli.command()
@click.option("--cases", default=300, show_default=True, help="How many demo cases to create (first run only).")
def demo(cases: int) -> None:
    """Seed demo data (idempotent) and print the development logins."""
    from shared.demo import DEMO_PASSWORD, seed_demo

    bo = _backoffice_app()
    with bo.app_context():
        summary = seed_demo(cases=cases)
    click.echo(summary)
    click.echo("")
    click.echo(f"Back office logins (password for all: {DEMO_PASSWORD}):")
    click.echo("  admin    Admin")
    click.echo("  byggare  Builder (e-tjänsteutvecklare)")
    click.echo("  anna     Handler, member of Skolskjutsgruppen")
    click.echo("  bertil   Handler with begränsad behörighet on Kulturskolan")
    click.echo("Portal: 'Testinloggning – endast utveckling' lets you pick a demo citizen.")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Do not run the scheduler in a background thread.")
def serve(host: str, port: int, no_scheduler: bool) -> None:
    """Serve the portal at / and the back office at /admin/ (and the scheduler in a thread)."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.serving import run_simple

    from portal import create_app as create_portal
    from shared import heap

    portal_app = create_portal()
    backoffice_app = _backoffice_app()
    application = DispatcherMiddleware(portal_app, {"/admin": backoffice_app})
    heap.settle()

    scheduler = None
    if portal_app.config.get("SCHEDULER_IN_PROCESS") and not no_scheduler:
        from scheduler.runner import build_scheduler

        scheduler = build_scheduler(backoffice_app, background=True)
        scheduler.start()
        click.echo(f"Scheduler running in-process with {len(scheduler.get_jobs())} job(s).")
    click.echo(f"Portal:      http://{host}:{port}/")
    click.echo(f"Back office: http://{host}:{port}/admin/")
    try:
        run_simple(host, port, application, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@cli.command("scheduler")
def scheduler_cmd() -> None:
    """Run the scheduler alone (production: one or more of these processes, on any hosts)."""
    from flask_babel import gettext as _

    from scheduler.runner import build_scheduler

    app = _core_app()
    scheduler = build_scheduler(app, background=True)
    stop = threading.Event()
    signals: list[int] = []

    def _stop(signum, _frame):
        signals.append(signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    scheduler.start()
    with app.app_context():
        names = ", ".join(j.id for j in scheduler.get_jobs())
        click.echo(_("Scheduler started with %(count)d jobs: %(names)s.", count=len(scheduler.get_jobs()), names=names))
    stop.wait()
    with app.app_context():
        click.echo(_("Signal %(signal)s: stopping the scheduler after the running jobs.", signal=signals[0]))
    scheduler.shutdown(wait=True)
    with app.app_context():
        click.echo(_("Scheduler stopped."))


@cli.group()
def jobs() -> None:
    """Scheduled jobs: list them, or run one now."""


@jobs.command("list")
def jobs_list() -> None:
    """List the jobs, when each runs and how its last run went."""
    from flask_babel import gettext as _

    from scheduler.jobs import JOBS
    from scheduler.runner import describe_schedule
    from shared.clock import to_local
    from shared.services.jobs import last_runs

    app = _core_app()
    with app.app_context():
        try:
            latest = last_runs()
        except Exception:  # no database yet: the list is still worth showing
            latest = {}
        for spec in JOBS.values():
            run = latest.get(spec.name)
            last = (
                _("last run %(time)s: %(state)s", time=f"{to_local(run.started_at):%Y-%m-%d %H:%M}", state=run.state)
                if run is not None
                else _("never run")
            )
            click.echo(f"{spec.name:18} {describe_schedule(spec, app):22} {last}")
            click.echo(f"{'':18} {spec.description}")


def _parse_now(_ctx, _param, value: str | None):
    """--now as naive UTC: an ISO time with an offset, or without one in Swedish time."""
    if value is None:
        return None
    import datetime as dt

    from shared.clock import LOCAL_TZ

    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "give an ISO 8601 time, e.g. 2027-03-01T02:30 (Swedish time) or 2027-03-01T01:30+00:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


@jobs.command("run")
@click.argument("name")
@click.option(
    "--now",
    "now",
    callback=_parse_now,
    metavar="ISO-TIME",
    help="The time the job judges by (time travel), e.g. 2027-03-01T02:30 (Swedish time without an offset).",
)
@click.option("--dry-run", is_flag=True, help="List what the job would do; change and send nothing.")
def jobs_run(name: str, now, dry_run: bool) -> None:
    """Run one job now, under its lock, and log the run (whatever the schedule says)."""
    from flask_babel import gettext as _

    from scheduler.jobs import JOBS
    from scheduler.runner import run_job
    from shared.services import jobs as job_runs

    app = _core_app()
    with app.app_context():
        if name not in JOBS:
            raise click.ClickException(
                _("Unknown job %(name)s. The jobs are: %(names)s.", name=name, names=", ".join(JOBS))
            )
    outcome = run_job(app, name, now=now, dry_run=dry_run)
    with app.app_context():
        counts = ", ".join(f"{key}={value}" for key, value in outcome.counts.items()) or "-"
        if outcome.state == job_runs.LOCKED:
            raise click.ClickException(
                _("Job %(name)s is running in another process; try again when it has finished.", name=name)
            )
        if outcome.state == job_runs.FAILED:
            click.echo(_("Job %(name)s failed (run %(id)s):", name=name, id=outcome.run_id), err=True)
            click.echo(outcome.error or "", err=True)
            sys.exit(1)
        for line in outcome.lines:
            click.echo(f"  {line}")
        if dry_run:
            click.echo(_("Job %(name)s, dry run (nothing was changed): %(counts)s", name=name, counts=counts))
        else:
            click.echo(_("Job %(name)s finished: %(counts)s", name=name, counts=counts))


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="etjanst")
    except config_module.ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
