"""What the catalogue shows, read straight from the models for now.

TODO(move): when shared/services grows a catalogue query (F-POR-1 with search), call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from shared.db import db
from shared.models import Category, EService


@dataclass
class CategoryGroup:
    category: Category | None  # None: e-services without a category
    eservices: list[EService] = field(default_factory=list)


def enabled_eservices_by_category() -> list[CategoryGroup]:
    """Enabled e-services grouped by category (category order, then name); uncategorised last."""
    eservices = db.session.scalars(
        select(EService).options(joinedload(EService.category)).where(EService.enabled.is_(True))
    ).all()
    groups: dict[int | None, CategoryGroup] = {}
    for eservice in eservices:
        key = eservice.category_id
        groups.setdefault(key, CategoryGroup(eservice.category)).eservices.append(eservice)
    for group in groups.values():
        group.eservices.sort(key=lambda e: e.name.lower())
    return sorted(
        groups.values(),
        key=lambda g: (
            g.category is None,
            g.category.sort_order if g.category else 0,
            (g.category.name if g.category else "").lower(),
        ),
    )
