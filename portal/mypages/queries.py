"""What Mina sidor shows: the citizen's own cases, through the access rules' query."""

from __future__ import annotations

from sqlalchemy.orm import joinedload

from shared.db import db
from shared.models import Case, Citizen
from shared.services import access


def submitted_cases(citizen: Citizen) -> list[Case]:
    """The citizen's submitted cases, newest first."""
    query = access.citizen_cases(citizen, drafts=False).options(joinedload(Case.eservice), joinedload(Case.status))
    return list(db.session.scalars(query).unique())


def drafts(citizen: Citizen) -> list[Case]:
    """The citizen's saved, not yet submitted applications."""
    query = access.citizen_cases(citizen, drafts=True).options(joinedload(Case.eservice))
    return list(db.session.scalars(query).unique())
