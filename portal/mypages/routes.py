"""Mina sidor (F-POR-4, F-POR-5): the citizen's drafts, cases, messages, documents and mailings.

Thin views over shared.services.mypages, messages and documents. Someone else's case,
message or document is a plain 404 (the services say NotFound), never a 403. A POST
that succeeds redirects back (post/redirect/get) with a flash message; one that fails
shows the page again with the errors and the text the citizen wrote.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from portal.auth.session import citizen_required
from shared.errors import Invalid, NotAllowed, NotFound
from shared.forms.html import file_size
from shared.services import citizen_data as held_data
from shared.services import documents, mailings, messages, mypages

bp = Blueprint("mypages", __name__, url_prefix="/mina-sidor")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "file_size": file_size,
        "mailing_state": mailings.answer_state,
        "answer_label": mailings.answer_label,
        "mailing_shown": mailings.shown_text,
    }


def upload_limits() -> dict[str, Any]:
    """What the upload fields tell the citizen: the size limit and the kinds of file (for ``accept``)."""
    return {
        "max_mb": int(current_app.config.get("MAX_UPLOAD_MB", 20)),
        "accept": ",".join(ext for exts in documents.ALLOWED_TYPES.values() for ext in exts),
    }


def _too_large(field: str) -> str:
    text = _(
        "The files were too large, so nothing was sent. Each file may be at most %(max)d MB.",
        max=int(current_app.config.get("MAX_UPLOAD_MB", 20)),
    )
    if field == "attachments":
        return text + " " + _("Write your message again.")
    return text


def _uploads(name: str) -> list[FileStorage]:
    return [f for f in request.files.getlist(name) if f is not None and f.filename]


@bp.errorhandler(RequestEntityTooLarge)
def _request_too_large(_error: RequestEntityTooLarge):
    """A post over MAX_CONTENT_LENGTH is refused before its form can be read (the CSRF check reads it first)."""
    case_id = (request.view_args or {}).get("case_id")
    field = {"mypages.reply": "attachments", "mypages.supplement": "files"}.get(request.endpoint or "")
    if g.citizen is None or case_id is None or field is None:
        return render_template("portal/error.html", status=413), 413
    try:
        page = mypages.case_page(g.citizen, case_id)
    except NotFound:
        return render_template("portal/error.html", status=404), 404
    return _render_case(page, errors={field: _too_large(field)}, status=413)


@bp.get("")
@citizen_required
def index():
    return render_template(
        "portal/mypages.html",
        citizen=g.citizen,
        cases=mypages.cases(g.citizen),
        drafts=mypages.drafts(g.citizen),
        mailings=mypages.awaiting_answer(g.citizen),
        notices=mypages.notices(g.citizen),
    )


@bp.post("/notiser/lasta")
@citizen_required
def notices_read():
    """Markera alla notiser som lästa."""
    mypages.mark_notices_read(g.citizen)
    flash(_("All notices are marked as read."), "success")
    return redirect(url_for("mypages.index", _anchor="notiser"))


def _render_case(page: mypages.CasePage, *, body: str = "", errors: dict[str, str] | None = None, status: int = 200):
    return (
        render_template(
            "portal/mypages/case.html",
            page=page,
            case=page.case,
            body=body,
            errors=errors or {},
            limits=upload_limits(),
        ),
        status,
    )


@bp.get("/arenden/<int:case_id>")
@citizen_required
def case(case_id: int):
    """The case page; a notification's link adds ?meddelande=<id> (a fragment would not survive the login)."""
    try:
        found = mypages.own_case(g.citizen, case_id)
        if found.is_draft:
            return redirect(url_for("apply.resume", draft_id=found.id))
        page = mypages.read_case(g.citizen, case_id, focus_message_id=request.args.get("meddelande", type=int))
    except NotFound:
        abort(404)
    return _render_case(page)


def _page_again(case_id: int) -> mypages.CasePage:
    try:
        return mypages.case_page(g.citizen, case_id)
    except NotFound:
        abort(404)


@bp.post("/arenden/<int:case_id>/meddelanden")
@citizen_required
def reply(case_id: int):
    """Svara: the citizen's message to the handlers, with attachments."""
    body = request.form.get("body", "")
    files = _uploads("attachments")
    try:
        message = messages.reply_as_citizen(
            case_id,
            body,
            citizen=g.citizen,
            attachments=[(f.filename, f.stream, f.mimetype or "") for f in files],
        )
    except NotFound:
        abort(404)
    except NotAllowed as error:
        flash(error.message, "error")
        return redirect(url_for("mypages.case", case_id=case_id))
    except Invalid as error:
        page = _page_again(case_id)
        errors = dict(error.errors) or {"body": error.message}
        if "file" in errors:
            errors["attachments"] = errors.pop("file")
        if "attachments" in errors and files:
            errors["attachments"] += " " + _("Choose the files again; your message is kept.")
        return _render_case(page, body=body, errors=errors, status=422)
    flash(_("Your message is sent."), "success")
    return redirect(url_for("mypages.case", case_id=case_id, _anchor=f"meddelande-{message.id}"))


@bp.post("/arenden/<int:case_id>/komplettering")
@citizen_required
def supplement(case_id: int):
    """Komplettera ärendet: the citizen adds documents; the handlers are notified."""
    files = _uploads("files")
    page = _page_again(case_id)  # 404 for someone else's case before anything else is said
    if not files:
        return _render_case(page, errors={"files": _("Choose at least one file.")}, status=422)
    saved: list[str] = []
    problems: list[str] = []
    for upload in files:
        try:
            document = documents.add_document(
                case_id, upload.filename, upload.stream, upload.mimetype or "", citizen=g.citizen
            )
        except NotFound:
            abort(404)
        except NotAllowed as error:
            flash(error.message, "error")
            return redirect(url_for("mypages.case", case_id=case_id, _anchor="handlingar"))
        except Invalid as error:
            problems.append(error.errors.get("file") or error.message)
        else:
            saved.append(document.filename)
    if saved:
        flash(
            ngettext(
                "The document %(names)s is added to your case.",
                "The documents %(names)s are added to your case.",
                len(saved),
                names=", ".join(saved),
            ),
            "success",
        )
    if problems:
        return _render_case(mypages.case_page(g.citizen, case_id), errors={"files": " ".join(problems)}, status=422)
    return redirect(url_for("mypages.case", case_id=case_id, _anchor="handlingar"))


@bp.post("/utskick/<int:recipient_id>/svar")
@citizen_required
def answer_mailing(recipient_id: int):
    """Svara Ja eller Nej på ett utskick: one click, once, before the last day; then back to the case."""
    try:
        recipient = mailings.answer(recipient_id, request.form.get("answer", ""), citizen=g.citizen)
    except NotFound:
        abort(404)
    except (NotAllowed, Invalid) as error:
        flash(error.message, "error")
        case_id = request.form.get("case_id", type=int)
        if case_id is None:
            return redirect(url_for("mypages.index"))
        return redirect(url_for("mypages.case", case_id=case_id, _anchor=f"utskick-{recipient_id}"))
    flash(
        _("Thank you! You answered %(answer)s.", answer=mailings.answer_label(recipient.answer)),
        "success",
    )
    return redirect(url_for("mypages.case", case_id=recipient.case_id, _anchor=f"utskick-{recipient.id}"))


@bp.get("/dokument/<int:document_id>")
@citizen_required
def document(document_id: int):
    """Download one of the case's documents; the first download of a handler's file gives them a receipt."""
    try:
        found, handle = documents.download_document(document_id, citizen=g.citizen)
    except NotFound:
        abort(404)
    response = send_file(
        handle, mimetype=found.content_type, as_attachment=True, download_name=found.filename, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- Mina uppgifter (issue 9): what the municipality holds about the citizen, JSON and PDF ------------


@bp.get("/mina-uppgifter")
@citizen_required
def citizen_data():
    """Mina uppgifter: what is held about the citizen, and the two downloads."""
    return render_template(
        "portal/mypages/citizen_data.html",
        citizen=g.citizen,
        data=held_data.citizen_data(g.citizen),
        not_included=held_data.not_included_text(),
    )


@bp.get("/mina-uppgifter/<any(json, pdf):fmt>")
@citizen_required
def citizen_data_file(fmt: str):
    """The citizen's data as a file to keep (an attachment, never cached); each download is logged."""
    filename, mimetype, data = held_data.download(
        g.citizen, fmt, municipality=current_app.config.get("MUNICIPALITY_NAME") or ""
    )
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
