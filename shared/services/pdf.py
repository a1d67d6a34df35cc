"""The application as PDF (F-CASE-7): what the applicant submitted, for printing and filing.

fpdf2's built-in fonts know Latin-1 only; Swedish names, Sami and other letters applicants
type need a Unicode font, so DejaVu Sans is bundled in shared/pdf_fonts (licence beside it)
and embedded as a subset.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from shared import clock
from shared.db import db, transactional
from shared.forms.html import file_size
from shared.models import Case, StaffUser
from shared.services import access, application, audit, case_queries
from shared.services.cases import form_attachments

FONT_DIR = Path(__file__).resolve().parent.parent / "pdf_fonts"
FONT = "DejaVu"


def _when(value: dt.datetime | None) -> str:
    local = clock.to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local is not None else ""


class _ApplicationPdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=20)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(90, 90, 90)
        page = _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}")
        self.cell(0, 5, f"{self.footer_text}    {page}", align="R")
        self.set_text_color(0, 0, 0)

    def line_of(self, label: str, value: str) -> None:
        """One "Label: value" line of the header, the value wrapping under itself."""
        self.set_font(FONT, "B", 10)
        self.cell(48, 6, label)
        self.set_font(FONT, "", 10)
        self.multi_cell(0, 6, value or "–", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str, size: int = 13) -> None:
        self.ln(3)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(180, 180, 180)
        self.line(self.l_margin, self.get_y() + 0.8, self.w - self.r_margin, self.get_y() + 0.8)
        self.ln(2.5)

    def answer(self, label: str, text: str) -> None:
        """A question label in bold with the answer under it, kept together on one page when short."""
        self.set_font(FONT, "", 10)
        lines = len(self.multi_cell(0, 5.5, text or "–", dry_run=True, output="LINES"))
        if lines <= 12 and self.will_page_break(6 + 5.5 * lines):
            self.add_page()
        self.set_font(FONT, "B", 10)
        self.multi_cell(0, 6, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 10)
        self.multi_cell(0, 5.5, text or "–", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)


def render_application(case: Case, *, printed_by: StaffUser | None = None, for_applicant: bool = False) -> bytes:
    """The PDF of a submitted case: header, every visible answer in step order, the attached files by name.

    for_applicant: the applicant's own copy, with the status as citizens see it and only the files
    attached to the form (what they sent in).
    """
    printed = _("Printed %(when)s", when=_when(clock.now()))
    if printed_by is not None:
        printed = _("Printed %(when)s by %(name)s", when=_when(clock.now()), name=printed_by.display_name)
    pdf = _ApplicationPdf(printed)
    pdf.set_title(_("Case %(number)s", number=case.number))
    pdf.set_subject(case.eservice.name)
    pdf.set_author(case.applicant_display or "")
    pdf.set_creator("Etjänst")
    pdf.set_lang("sv")
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 8, case.eservice.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    submitted_by = case.applicant_display
    if case.submitted_by is not None:
        submitted_by = _(
            "%(applicant)s (registered by %(handler)s)",
            applicant=submitted_by or "–",
            handler=case.submitted_by.display_name,
        )
    pdf.line_of(_("Case number"), str(case.number or ""))
    pdf.line_of(_("E-service"), case.eservice.name)
    pdf.line_of(_("Version"), str(case.version.number))
    pdf.line_of(_("Submitted by"), submitted_by)
    pdf.line_of(_("Submitted"), _when(case.submitted_at))
    pdf.line_of(_("Status"), case.status.label_for_citizen if for_applicant else case.status.name)
    if case.external_number:
        pdf.line_of(_("External case number"), case.external_number)

    for section in case_queries.answer_sections(case):
        pdf.heading(section.title)
        for row in section.rows:
            pdf.answer(str(row.question.get("label") or row.question.get("id")), row.text)

    documents = form_attachments(case) if for_applicant else case_queries.case_documents(case.id)
    if documents:
        pdf.heading(_("Attached files") if for_applicant else _("Documents in the case"))
        pdf.set_font(FONT, "", 10)
        for document in documents:
            line = f"• {document.filename} ({file_size(document.size)}, {_when(document.created_at)})"
            pdf.multi_cell(0, 5.5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


@transactional
def application_pdf(case_id: int, *, actor: StaffUser) -> tuple[str, bytes]:
    """Print the case's application as PDF (file name, bytes); only for those who see the case, and logged."""
    case = db.session.get(Case, case_id)
    access.require(actor, "view", case)
    audit.record("case_printed", user=actor, case=case)
    return f"arende-{case.number}.pdf", render_application(case, printed_by=actor)


@transactional
def applicant_pdf(case_id: int, *, applicant: application.Applicant) -> tuple[str, bytes]:
    """The applicant's PDF of what they submitted (file name, bytes): only their own case, and logged."""
    case = application.submitted_case(case_id, applicant)
    audit.record("case_printed_by_applicant", citizen=applicant.citizen, case=case)
    return f"ansokan-{case.number}.pdf", render_application(case, for_applicant=True)


__all__ = ["applicant_pdf", "application_pdf", "render_application"]
