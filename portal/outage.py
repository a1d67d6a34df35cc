"""The portal's page for a database outage (503, shared.outage): in the portal's layout, no query.

The layout needs nothing from the database (the citizen, when already loaded, is only asked
whether there is one). A form sent into the outage says what became of it: a step's answers
were not saved (the browser keeps them on Back), a submission may not have gone in (sending
it again is safe: the form token makes it one case).
"""

from __future__ import annotations

from flask import Flask, render_template, request

from shared import outage

# The application's steps (the first one included), whose answers are saved when sent.
FORM_STEPS = {"apply.start", "apply.step"}
# Skicka in on the summary.
SUBMISSION = {"apply.summary"}


def what_was_sent() -> str | None:
    """What the request sent: "step", "submission" or "form" for a post, None for a page only asked for."""
    if request.method != "POST":
        return None
    if request.endpoint in FORM_STEPS:
        return "step"
    if request.endpoint in SUBMISSION:
        return "submission"
    return "form"


def page(_error: BaseException):
    sent = what_was_sent()
    retry_url = request.script_root + request.full_path.rstrip("?") if sent is None else None
    return render_template("portal/outage.html", sent=sent, retry_url=retry_url)


def init_app(app: Flask) -> None:
    outage.init_app(app, page)
