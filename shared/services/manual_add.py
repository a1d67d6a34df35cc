"""What the back office's "Lägg till ärende" screens show (F-LIST-6).

The rule (who may add to which e-service) is access.manual_add_denial; adding the case is
cases.add_case_manually. This module holds the screens' queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from shared.db import db
from shared.errors import NotAllowed
from shared.models import Case, EService, EServiceVersion, StaffUser
from shared.services import access


@dataclass(frozen=True)
class ManualAddChoice:
    """One row of the table of e-services a handler may add a case to."""

    eservice: EService
    category: str
    versions: int
    submitted: int  # Insk. ärenden
    drafts: int  # Ej insk. ärenden: applications saved but not sent


def manual_add_choices(user: StaffUser, *, search: str | None = None) -> list[ManualAddChoice]:
    """The e-services the user may add cases to, with category, versions and case counts; search filters by name or category."""
    eservices = list(db.session.scalars(access.manual_add_eservices(user).options(joinedload(EService.category))))
    words = (search or "").casefold().split()
    if words:
        eservices = [
            e
            for e in eservices
            if all(w in f"{e.name} {e.category.name if e.category else ''}".casefold() for w in words)
        ]
    if not eservices:
        return []
    ids = [e.id for e in eservices]
    versions = dict(
        db.session.execute(
            select(EServiceVersion.eservice_id, func.count())
            .where(EServiceVersion.eservice_id.in_(ids))
            .group_by(EServiceVersion.eservice_id)
        ).all()
    )
    # Drafts have no submission time: one pass over the (eservice_id, submitted_at) index.
    counts = {
        eservice_id: (int(total), int(submitted))
        for eservice_id, total, submitted in db.session.execute(
            select(Case.eservice_id, func.count(), func.count(Case.submitted_at))
            .where(Case.eservice_id.in_(ids))
            .group_by(Case.eservice_id)
        )
    }
    choices = []
    for eservice in eservices:
        total, submitted = counts.get(eservice.id, (0, 0))
        choices.append(
            ManualAddChoice(
                eservice=eservice,
                category=eservice.category.name if eservice.category else "",
                versions=int(versions.get(eservice.id, 0)),
                submitted=submitted,
                drafts=total - submitted,
            )
        )
    return choices


def manual_add_form(eservice_id: int, *, actor: StaffUser) -> tuple[EService, EServiceVersion]:
    """The e-service and the version a handler fills in on someone's behalf; NotFound/NotAllowed as the rule says."""
    eservice = db.session.get(EService, eservice_id)
    access.require_manual_add(actor, eservice)
    assert eservice is not None
    version = eservice.published_version
    if version is None:
        raise NotAllowed(_("The e-service %(name)s is not open for applications.", name=eservice.name))
    return eservice, version
