"""What the portal's catalogue shows: enabled e-services by category, and each one's GDPR text (F-POR-1, F-ES-6)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from shared.db import db
from shared.errors import NotFound
from shared.models import Category, EService, LegalBasis, PersonalDataCategory

# The seed's wording of the GDPR form (Open ePlatform's "Personuppgiftshantering").
CATEGORY_LABELS = {
    PersonalDataCategory.NAME: _l("Name"),
    PersonalDataCategory.ADDRESS: _l("Address"),
    PersonalDataCategory.PROPERTY: _l("Property designation"),
    PersonalDataCategory.EMAIL: _l("E-mail address"),
    PersonalDataCategory.PERSONNUMMER: _l("Personal identity number"),
    PersonalDataCategory.SALARY: _l("Salary at individual level"),
    PersonalDataCategory.PHONE: _l("Telephone number"),
    PersonalDataCategory.MOBILE: _l("Mobile number"),
    PersonalDataCategory.IP: _l("IP number"),
    PersonalDataCategory.CUSTOMER_NUMBER: _l("Customer number"),
    PersonalDataCategory.GPS: _l("GPS coordinate linked to an individual"),
}

LEGAL_BASIS_LABELS = {
    LegalBasis.CONSENT: _l("The data subject has given consent"),
    LegalBasis.CONTRACT: _l("A contract with the data subject is to be performed"),
    LegalBasis.LEGAL_OBLIGATION: _l("The controller is to comply with a legal obligation"),
    LegalBasis.VITAL_INTERESTS: _l("Vital interests of the data subject are to be protected"),
    LegalBasis.PUBLIC_INTEREST: _l("A task in the public interest is to be performed"),
    LegalBasis.OFFICIAL_AUTHORITY: _l("A task in the exercise of official authority is to be performed"),
    LegalBasis.LEGITIMATE_INTERESTS: _l(
        "A legitimate interest in the processing outweighs the data subject's interest in protection of their privacy"
    ),
}

SUPERVISORY_AUTHORITY_URL = "https://www.imy.se/privatperson/utfora-arenden/lamna-ett-klagomal/"


@dataclass
class CategoryGroup:
    category: Category | None  # None: e-services without a category
    eservices: list[EService] = field(default_factory=list)


@dataclass
class PersonalDataText:
    """The GDPR block shown on an e-service's start page before the applicant starts."""

    categories: list[str]
    purpose: str
    legal_bases: list[str]
    retention: str | None
    controller_name: str | None
    controller_email: str | None
    complaint_text: str | None  # None: the standard text with the link to IMY
    complaint_url: str = SUPERVISORY_AUTHORITY_URL


def enabled_eservices_by_category(search: str | None = None) -> list[CategoryGroup]:
    """Enabled e-services grouped by category (category order, then name), optionally matching a search."""
    query = select(EService).options(joinedload(EService.category)).where(EService.enabled.is_(True))
    words = (search or "").split()
    for word in words:
        pattern = f"%{word.lower()}%"
        query = query.where(
            or_(func.lower(EService.name).like(pattern), func.lower(func.coalesce(EService.description, "")).like(pattern))
        )
    groups: dict[int | None, CategoryGroup] = {}
    for eservice in db.session.scalars(query).unique():
        groups.setdefault(eservice.category_id, CategoryGroup(eservice.category)).eservices.append(eservice)
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


def eservice_by_slug(slug: str) -> EService:
    """An enabled e-service for its start page; NotFound for a disabled or unknown one."""
    eservice = db.session.scalar(
        select(EService).options(joinedload(EService.category)).where(EService.slug == slug, EService.enabled.is_(True))
    )
    if eservice is None:
        raise NotFound(_("The e-service was not found."))
    return eservice


def personal_data_text(eservice: EService) -> PersonalDataText:
    """The e-service's personal-data text for applicants, with the standard texts where the builder wrote none."""
    categories = [str(CATEGORY_LABELS[PersonalDataCategory(c)]) for c in eservice.gdpr_categories
                  if c in PersonalDataCategory._value2member_map_]
    if eservice.gdpr_extra_categories:
        categories.append(eservice.gdpr_extra_categories)
    bases = [str(LEGAL_BASIS_LABELS[LegalBasis(b)]) for b in eservice.gdpr_legal_bases
             if b in LegalBasis._value2member_map_]
    purpose = eservice.gdpr_purpose or _(
        "When your case is handled, the personal data shown above is registered and processed. "
        "The processing takes place in the case management system the service uses to handle your case."
    )
    return PersonalDataText(
        categories=categories,
        purpose=purpose,
        legal_bases=bases,
        retention=eservice.gdpr_retention,
        controller_name=eservice.controller_name,
        controller_email=eservice.controller_email,
        complaint_text=eservice.complaint_text,
    )
