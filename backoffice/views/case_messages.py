"""The case view's conversation tabs: Meddelanden (to and from the applicant), Interna noteringar and
Handlingar (documents from either side, with download receipts).

The 1177 rule lives in the services: only a handler assigned in person may write to the
applicant. A handler who is not gets "Ta ärendet och svara" (take=1), and whoever answers
may hand the case back to a group ("Fördela till gruppen efter svar").
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, send_file
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.datastructures import FileStorage

from backoffice.views.access import staff_access
from backoffice.views.case_common import case_errors, current_staff, overview_url
from backoffice.views.case_common import int_or_none as _int_or_none
from shared.db import db
from shared.errors import AlreadyTaken, Invalid
from shared.models import Case, Document, HandlerGroup, MessageDirection, StaffUser
from shared.services import access, case_queries, cases, documents, messages, users


def _uploads(name: str) -> list[FileStorage]:
    return [f for f in request.files.getlist(name) if f is not None and f.filename]


def upload_limits() -> dict[str, Any]:
    """What the upload forms tell the user: the size limit and the allowed kinds of file."""
    from flask import current_app

    return {
        "max_mb": int(current_app.config.get("MAX_UPLOAD_MB", 20)),
        "accept": ",".join(ext for exts in documents.ALLOWED_TYPES.values() for ext in exts),
    }


class CaseMessagesMixin:
    """Routes of the Meddelanden, Interna noteringar and Handlingar tabs; mixed into CaseView."""

    # -- Meddelanden ------------------------------------------------------------------------

    def _messages_page(
        self,
        user: StaffUser,
        case: Case,
        *,
        body: str = "",
        template_id: int | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ):
        thread = case_queries.case_messages(case.id)
        templates = case_queries.message_templates(case)
        allowed = access.allowed_actions(user, case, ("message", "take"))
        may_write = allowed["message"]
        readers = case_queries.user_names(m.read_by_user_id for m in thread)
        return self.render_case(
            "backoffice/case/messages.html",
            user,
            case,
            "messages",
            status=status,
            thread=thread,
            readers=readers,
            templates=templates,
            may_write=may_write,
            needs_taking=case_queries.reply_needs_taking(user, case, allowed),
            why_not=None if may_write else case_queries.denial_message(user, "message", case),
            groups=users.groups_for_eservice(case.eservice_id) if may_write else [],
            body=body,
            template_id=template_id,
            errors=errors or {},
            limits=upload_limits(),
            FROM_APPLICANT=MessageDirection.FROM_APPLICANT,
        )

    @expose("/<int:case_id>/meddelanden")
    @staff_access
    @permission_name("show")
    def messages(self, case_id: int):
        """The thread, newest last; opening it marks the applicant's messages read (read receipt)."""
        user, case = self.open_case(case_id)
        for message in case_queries.case_messages(case.id):
            if message.direction == MessageDirection.FROM_APPLICANT and message.read_at is None:
                messages.mark_read(message.id, reader=user)
        case = db.session.get(Case, case_id)
        # Without JavaScript a template is chosen with ?mall=<id>, which fills in its text.
        template_id = _int_or_none(request.args.get("mall"))
        chosen = next((t for t in case_queries.message_templates(case) if t.id == template_id), None)
        return self._messages_page(
            user, case, body=chosen.body if chosen else "", template_id=chosen.id if chosen else None
        )

    @expose("/<int:case_id>/meddelanden", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def send_message(self, case_id: int):
        """Nytt meddelande; take=1 first takes the case (Ta ärendet och svara)."""
        user = current_staff()
        body = request.form.get("body", "")
        files = _uploads("attachments")
        tab = self.case_url(case_id, "messages")
        if request.form.get("take") == "1":
            try:
                cases.take_case(case_id, actor=user)
            except AlreadyTaken as error:
                return self.take_over_page(user, case_id, error.by, tab)
            if not body.strip() and not files:
                self.flash_success(_("You have taken the case. Write your reply below."))
                return redirect(tab + "#nytt-meddelande")
        template_id = _int_or_none(request.form.get("template_id"))
        try:
            message = messages.send_message(
                case_id,
                body,
                actor=user,
                attachments=[(f.filename, f.stream, f.mimetype or "") for f in files],
                template_id=template_id,
                hand_back_to_group_id=_int_or_none(request.form.get("hand_back_group_id")),
            )
        except Invalid as error:
            case = db.session.get(Case, case_id)
            access.require(user, "view", case)
            errors = dict(error.errors) or {"body": error.message}
            if "file" in errors:
                errors["attachments"] = errors.pop("file")
            return self._messages_page(user, case, body=body, template_id=template_id, errors=errors, status=422)
        group_id = _int_or_none(request.form.get("hand_back_group_id"))
        if group_id is not None:
            group = db.session.get(HandlerGroup, group_id)
            self.flash_success(_("The message is sent and the case is handed back to %(group)s.", group=group.name))
            if not self.still_visible(user, case_id):
                return redirect(overview_url())
        else:
            self.flash_success(_("The message is sent."))
        return redirect(f"{tab}#meddelande-{message.id}")

    # -- Interna noteringar ----------------------------------------------------------------------

    def _notes_page(
        self, user: StaffUser, case: Case, *, body: str = "", errors: dict[str, str] | None = None, status: int = 200
    ):
        return self.render_case(
            "backoffice/case/notes.html",
            user,
            case,
            "notes",
            status=status,
            notes=case_queries.case_notes(case.id),
            body=body,
            errors=errors or {},
        )

    @expose("/<int:case_id>/noteringar")
    @staff_access
    @permission_name("show")
    def notes(self, case_id: int):
        """Interna noteringar: notes that only handlers see."""
        user, case = self.open_case(case_id)
        return self._notes_page(user, case)

    @expose("/<int:case_id>/noteringar", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def add_note(self, case_id: int):
        user = current_staff()
        body = request.form.get("body", "")
        try:
            note = messages.add_note(case_id, body, actor=user)
        except Invalid as error:
            case = db.session.get(Case, case_id)
            access.require(user, "view", case)
            return self._notes_page(
                user, case, body=body, errors=dict(error.errors) or {"body": error.message}, status=422
            )
        self.flash_success(_("The note is saved."))
        return redirect(self.case_url(case_id, "notes") + f"#notering-{note.id}")

    # -- Handlingar --------------------------------------------------------------------------------

    @expose("/<int:case_id>/handlingar")
    @staff_access
    @permission_name("show")
    def documents(self, case_id: int):
        """Handlingar: every file of the case, from the applicant and from handlers."""
        user, case = self.open_case(case_id)
        files = case_queries.case_documents(case.id)
        uploaders = case_queries.user_names(d.uploaded_by_user_id for d in files)
        return self.render_case(
            "backoffice/case/documents.html",
            user,
            case,
            "documents",
            files=files,
            uploaders=uploaders,
            limits=upload_limits(),
        )

    @expose("/<int:case_id>/handlingar", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def upload(self, case_id: int):
        """Ladda upp: each file is checked for its real type and its size by the documents service."""
        user = current_staff()
        files = _uploads("file")
        tab = self.case_url(case_id, "documents")
        if not files:
            flash(_("Choose a file to upload."), "danger")
            return redirect(tab)
        saved = []
        for upload in files:
            try:
                document = documents.add_document(
                    case_id, upload.filename, upload.stream, upload.mimetype or "", actor=user
                )
            except Invalid as error:
                flash(error.message, "danger")
            else:
                saved.append(document.filename)
        if saved:
            self.flash_success(
                ngettext(
                    "The document %(names)s is uploaded.",
                    "The documents %(names)s are uploaded.",
                    len(saved),
                    names=", ".join(saved),
                )
            )
        return redirect(tab)

    @expose("/<int:case_id>/handlingar/<int:document_id>")
    @staff_access
    @permission_name("show")
    @case_errors
    def download(self, case_id: int, document_id: int):
        """Download a document; a handler's first download of the applicant's file gives a receipt."""
        document = db.session.get(Document, document_id)
        if document is None or document.case_id != case_id:
            abort(404)
        document, handle = documents.download_document(document_id, actor=current_staff())
        response = send_file(
            handle,
            mimetype=document.content_type,
            as_attachment=True,
            download_name=document.filename,
            max_age=0,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response
