"""E-services as the builder configures them (F-ES-1, F-ES-14): the e-service itself, its
categories and who handles it (handler links with begränsad behörighet).

Only builders and administrators (access.require_builder) may change anything here; every
change is written to the audit log with its fields before and after.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from shared import clock, roles
from shared.db import db, transactional
from shared.errors import NotFound
from shared.forms.structure import iter_questions, label_of
from shared.models import (
    Case,
    Category,
    EService,
    EServiceVersion,
    HandlerGroup,
    HandlerLink,
    StaffUser,
    StatusGroup,
    StatusKind,
)
from shared.services import access, config_input
from shared.services.audit import record_config_change

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Every field of an e-service the builder sets on the e-service's own form, in form order.
EDITABLE_FIELDS = (
    "name",
    "slug",
    "category_id",
    "description",
    "enabled",
    "login_required",
    "anonymous_allowed",
    "due_days",
    "status_group_id",
    "colour_marking",
    "manual_add",
    "manual_add_personnummer",
    "messages_enabled",
    "documents_enabled",
    "subtasks_enabled",
    "edit_submitted_enabled",
    "queue_question_id",
    "default_handler_id",
    "default_group_id",
    "general_mailbox",
    "process_owner",
    "information_owner",
    "last_reviewed_on",
)
SWITCHES = (
    "enabled",
    "colour_marking",
    "manual_add",
    "manual_add_personnummer",
    "messages_enabled",
    "documents_enabled",
    "subtasks_enabled",
    "edit_submitted_enabled",
)
# The "Inloggning" choice on the form sets login_required and anonymous_allowed together.
LOGIN_REQUIRED, LOGIN_ANONYMOUS = "required", "anonymous"


_invalid = config_input.invalid
snapshot = config_input.snapshot


# -- e-services ------------------------------------------------------------------------


def slugify(name: str) -> str:
    """A URL-safe address word from a name: "Ansökan om bygglov" → "ansokan-om-bygglov"."""
    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:120].strip("-")


def login_choice(eservice: EService | None) -> str:
    """Which "Inloggning" alternative the e-service has (required, or anonymous allowed)."""
    if eservice is None:
        return LOGIN_REQUIRED
    return LOGIN_ANONYMOUS if eservice.anonymous_allowed or not eservice.login_required else LOGIN_REQUIRED


@dataclass
class EServiceRow:
    eservice: EService
    category: str | None
    published: int | None
    versions: int


def list_eservices(
    *, actor: StaffUser, search: str = "", category_id: int | None = None, enabled: bool | None = None
) -> list[EServiceRow]:
    """The e-services for the builder's list, by name; search in name, filter on category and enabled."""
    access.require_builder(actor)
    query = (
        select(EService)
        .options(selectinload(EService.versions), selectinload(EService.category))
        .order_by(EService.name, EService.id)
    )
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(or_(func.lower(EService.name).like(pattern), func.lower(EService.slug).like(pattern)))
    if category_id is not None:
        query = query.where(EService.category_id == category_id)
    if enabled is not None:
        query = query.where(EService.enabled.is_(enabled))
    eservices = list(db.session.scalars(query))
    counts = dict(
        db.session.execute(
            select(EServiceVersion.eservice_id, func.count()).group_by(EServiceVersion.eservice_id)
        ).all()
    )
    rows = []
    for eservice in eservices:
        published = eservice.published_version
        rows.append(
            EServiceRow(
                eservice=eservice,
                category=eservice.category.name if eservice.category else None,
                published=published.number if published else None,
                versions=int(counts.get(eservice.id, 0)),
            )
        )
    return rows


def get_eservice(eservice_id: int, *, actor: StaffUser) -> EService:
    """The e-service for a builder's screen; NotFound when there is none."""
    access.require_builder(actor)
    eservice = db.session.get(EService, eservice_id)
    if eservice is None:
        raise NotFound(_("The e-service was not found."))
    return eservice


@dataclass
class FormChoices:
    categories: list[Category]
    status_groups: list[StatusGroup]
    handlers: list[StaffUser]
    groups: list[HandlerGroup]
    questions: list[tuple[str, str]]  # (question id, label) of the newest version


def form_choices(eservice: EService | None = None) -> FormChoices:
    """What the e-service form offers in its select lists."""
    return FormChoices(
        categories=list_categories_query(),
        status_groups=list(db.session.scalars(select(StatusGroup).order_by(StatusGroup.name))),
        handlers=handler_users(),
        groups=list(db.session.scalars(select(HandlerGroup).order_by(HandlerGroup.name))),
        questions=questions_of(eservice),
    )


def handler_users() -> list[StaffUser]:
    """Active back-office users with the Handler role, by name: who may be linked as handler."""
    users = db.session.scalars(
        select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.first_name, StaffUser.last_name)
    )
    return [u for u in users if u.has_role(roles.HANDLER)]


def newest_version(eservice: EService | None) -> EServiceVersion | None:
    if eservice is None or not eservice.versions:
        return None
    return eservice.versions[-1]


def questions_of(eservice: EService | None) -> list[tuple[str, str]]:
    """(id, label) of every question of the e-service's newest version that takes an answer."""
    version = newest_version(eservice)
    if version is None:
        return []
    return [
        (str(q.get("id")), f"{label_of(q)} ({q.get('id')})")
        for _step, q in iter_questions(version.definition or {})
        if q.get("type") not in ("info", "file") and q.get("id")
    ]


def _has_cases(eservice: EService) -> bool:
    # Test runs (F-ES-4) are not cases; their drafts follow the statuses they were made with.
    return bool(
        db.session.scalar(select(Case.id).where(Case.eservice_id == eservice.id, Case.is_test.is_(False)).limit(1))
    )


def check_status_group_usable(group: StatusGroup) -> str | None:
    """Why an e-service cannot use the status group (no Sparat or Inskickat status), or None."""
    kinds = {s.kind for s in group.statuses}
    if StatusKind.DRAFT not in kinds or StatusKind.SUBMITTED not in kinds:
        return _("The status group needs a status of the kind Saved and one of the kind Submitted.")
    return None


def _read_eservice(data: Mapping[str, Any], eservice: EService | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The e-service's fields from the form, and an error per bad field."""
    errors: dict[str, str] = {}
    ci = config_input
    values: dict[str, Any] = {}
    values["name"] = ci.text(data, "name", errors, required=True, max_length=200)
    slug = ci.text(data, "slug", errors, max_length=120)
    if slug is None and values["name"]:
        slug = slugify(values["name"])
    if slug is not None and "slug" not in errors:
        slug = slug.lower()
        if not SLUG_PATTERN.match(slug):
            errors["slug"] = _(
                "Use only the letters a–z, digits and hyphens (no å, ä, ö or spaces), for example ansokan-om-bygglov."
            )
        else:
            taken = db.session.scalar(
                select(EService.id).where(EService.slug == slug, EService.id != (eservice.id if eservice else -1))
            )
            if taken:
                errors["slug"] = _("Another e-service already has the address %(slug)s.", slug=slug)
    elif slug is None and "name" not in errors:
        errors["slug"] = _("Fill in this field.")
    values["slug"] = slug
    category_id = ci.choice_id(data, "category_id", errors)
    if category_id is not None and db.session.get(Category, category_id) is None:
        errors["category_id"] = _("Choose one of the alternatives.")
    values["category_id"] = category_id
    values["description"] = ci.text(data, "description", errors, max_length=20000)
    for field in SWITCHES:
        values[field] = ci.flag(data, field)
    login = str(data.get("login") or LOGIN_REQUIRED)
    if login not in (LOGIN_REQUIRED, LOGIN_ANONYMOUS):
        errors["login"] = _("Choose one of the alternatives.")
    values["login_required"] = login != LOGIN_ANONYMOUS
    values["anonymous_allowed"] = login == LOGIN_ANONYMOUS
    values["due_days"] = ci.integer(data, "due_days", errors, minimum=1, maximum=3650)

    group_id = ci.choice_id(data, "status_group_id", errors, required=True)
    group = db.session.get(StatusGroup, group_id) if group_id is not None else None
    if group_id is not None and group is None:
        errors["status_group_id"] = _("Choose one of the alternatives.")
    elif group is not None:
        problem = check_status_group_usable(group)
        if problem:
            errors["status_group_id"] = problem
        elif eservice is not None and eservice.status_group_id != group.id and _has_cases(eservice):
            errors["status_group_id"] = _(
                "The e-service already has cases in the statuses of its status group, so the status group cannot be changed."
            )
    values["status_group_id"] = group_id

    queue = ci.text(data, "queue_question_id", errors, max_length=64)
    if queue is not None and queue not in {qid for qid, _label in questions_of(eservice)}:
        errors["queue_question_id"] = _("Choose a question of the e-service's form.")
    values["queue_question_id"] = queue

    handler_id = ci.choice_id(data, "default_handler_id", errors)
    if handler_id is not None:
        handler = db.session.get(StaffUser, handler_id)
        if handler is None or not handler.active or not handler.has_role(roles.HANDLER):
            errors["default_handler_id"] = _("Choose a user with the role Handler.")
    values["default_handler_id"] = handler_id
    default_group_id = ci.choice_id(data, "default_group_id", errors)
    if default_group_id is not None and db.session.get(HandlerGroup, default_group_id) is None:
        errors["default_group_id"] = _("Choose one of the alternatives.")
    values["default_group_id"] = default_group_id

    values["general_mailbox"] = ci.email(data, "general_mailbox", errors)
    values["process_owner"] = ci.text(data, "process_owner", errors, max_length=200)
    values["information_owner"] = ci.text(data, "information_owner", errors, max_length=200)
    reviewed = ci.date(data, "last_reviewed_on", errors)
    if reviewed is not None and reviewed > clock.today():
        errors["last_reviewed_on"] = _("The date of the last review cannot be in the future.")
    values["last_reviewed_on"] = reviewed
    return values, errors


@transactional
def create_eservice(data: Mapping[str, Any], *, actor: StaffUser) -> EService:
    """Create an e-service (F-ES-1); its form is built afterwards as version 1 in the form editor."""
    access.require_builder(actor)
    values, errors = _read_eservice(data, None)
    if errors:
        raise _invalid(errors)
    eservice = EService(**values)
    db.session.add(eservice)
    db.session.flush()
    record_config_change(
        "config_eservice_created", user=actor, obj=eservice, before=None, after=snapshot(eservice, EDITABLE_FIELDS)
    )
    return eservice


@transactional
def update_eservice(eservice_id: int, data: Mapping[str, Any], *, actor: StaffUser) -> EService:
    """Change an e-service's settings (F-ES-1, F-ES-14)."""
    eservice = get_eservice(eservice_id, actor=actor)
    values, errors = _read_eservice(data, eservice)
    if errors:
        raise _invalid(errors)
    before = snapshot(eservice, EDITABLE_FIELDS)
    for field, value in values.items():
        setattr(eservice, field, value)
    eservice.updated_at = clock.now()
    db.session.flush()
    record_config_change(
        "config_eservice_changed", user=actor, obj=eservice, before=before, after=snapshot(eservice, EDITABLE_FIELDS)
    )
    return eservice


@dataclass
class Hub:
    eservice: EService
    versions: list[EServiceVersion]
    submitted_cases: int
    handler_links: int
    status_names: list[str]


def hub(eservice_id: int, *, actor: StaffUser) -> Hub:
    """The e-service's key facts for the builder's hub page."""
    eservice = get_eservice(eservice_id, actor=actor)
    cases = db.session.scalar(
        select(func.count()).select_from(Case).where(Case.eservice_id == eservice.id, Case.number.is_not(None))
    )
    return Hub(
        eservice=eservice,
        versions=sorted(eservice.versions, key=lambda v: v.number, reverse=True),
        submitted_cases=int(cases or 0),
        handler_links=len(eservice.handler_links),
        status_names=[s.name for s in eservice.status_group.statuses],
    )


# -- categories ------------------------------------------------------------------------

CATEGORY_FIELDS = ("name", "description", "sort_order")


def list_categories_query() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.name)))


def list_categories(*, actor: StaffUser) -> list[tuple[Category, int]]:
    """The categories in their order, each with how many e-services it holds."""
    access.require_builder(actor)
    counts = dict(
        db.session.execute(
            select(EService.category_id, func.count())
            .where(EService.category_id.is_not(None))
            .group_by(EService.category_id)
        ).all()
    )
    return [(category, int(counts.get(category.id, 0))) for category in list_categories_query()]


def get_category(category_id: int, *, actor: StaffUser) -> Category:
    access.require_builder(actor)
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound(_("The category was not found."))
    return category


def _read_category(data: Mapping[str, Any], category: Category | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = config_input.text(data, "name", errors, required=True, max_length=150)
    if name and "name" not in errors:
        taken = db.session.scalar(
            select(Category.id).where(
                func.lower(Category.name) == name.lower(), Category.id != (category.id if category else -1)
            )
        )
        if taken:
            errors["name"] = _("There is already a category named %(name)s.", name=name)
    values = {
        "name": name,
        "description": config_input.text(data, "description", errors, max_length=5000),
        "sort_order": config_input.integer(data, "sort_order", errors, minimum=0, maximum=9999) or 0,
    }
    if errors:
        raise _invalid(errors)
    return values


@transactional
def create_category(data: Mapping[str, Any], *, actor: StaffUser) -> Category:
    """Add a category of e-services (shown in the portal's catalogue, F-POR-1)."""
    access.require_builder(actor)
    category = Category(**_read_category(data, None))
    db.session.add(category)
    db.session.flush()
    record_config_change(
        "config_category_created", user=actor, obj=category, before=None, after=snapshot(category, CATEGORY_FIELDS)
    )
    return category


@transactional
def update_category(category_id: int, data: Mapping[str, Any], *, actor: StaffUser) -> Category:
    """Rename, describe or move a category."""
    category = get_category(category_id, actor=actor)
    values = _read_category(data, category)
    before = snapshot(category, CATEGORY_FIELDS)
    for field, value in values.items():
        setattr(category, field, value)
    db.session.flush()
    record_config_change(
        "config_category_changed", user=actor, obj=category, before=before, after=snapshot(category, CATEGORY_FIELDS)
    )
    return category


@transactional
def delete_category(category_id: int, *, actor: StaffUser) -> None:
    """Delete a category; its e-services stay, without a category."""
    category = get_category(category_id, actor=actor)
    for eservice in db.session.scalars(select(EService).where(EService.category_id == category.id)):
        eservice.category_id = None
    record_config_change(
        "config_category_deleted", user=actor, obj=category, before=snapshot(category, CATEGORY_FIELDS), after=None
    )
    db.session.delete(category)
    db.session.flush()


# -- handler links (who handles the e-service, F-ES-14, begränsad behörighet) ----------

LINK_FIELDS = ("user_id", "group_id", "restricted", "valid_from", "valid_to")


def list_handler_links(eservice_id: int, *, actor: StaffUser) -> tuple[EService, list[HandlerLink]]:
    """The e-service and its handler links: people first, then groups, by name."""
    eservice = get_eservice(eservice_id, actor=actor)
    links = sorted(
        eservice.handler_links,
        key=lambda link: (
            link.user is None,
            (link.user.display_name if link.user else link.group.name if link.group else "").lower(),
        ),
    )
    return eservice, links


def _get_link(eservice_id: int, link_id: int, *, actor: StaffUser) -> HandlerLink:
    access.require_builder(actor)
    link = db.session.get(HandlerLink, link_id)
    if link is None or link.eservice_id != eservice_id:
        raise NotFound(_("The handler link was not found."))
    return link


def _read_link(data: Mapping[str, Any], eservice: EService, link: HandlerLink | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    ci = config_input
    if link is None:
        user_id = ci.choice_id(data, "user_id", errors)
        group_id = ci.choice_id(data, "group_id", errors)
        if "user_id" not in errors and "group_id" not in errors:
            if (user_id is None) == (group_id is None):
                errors["user_id"] = _("Choose either a handler or a group, not both.")
            elif user_id is not None:
                user = db.session.get(StaffUser, user_id)
                if user is None or not user.active or not user.has_role(roles.HANDLER):
                    errors["user_id"] = _("Choose a user with the role Handler.")
                elif any(existing.user_id == user_id for existing in eservice.handler_links):
                    errors["user_id"] = _("%(name)s is already handler for this e-service.", name=user.display_name)
            else:
                group = db.session.get(HandlerGroup, group_id)
                if group is None:
                    errors["group_id"] = _("Choose one of the alternatives.")
                elif any(existing.group_id == group_id for existing in eservice.handler_links):
                    errors["group_id"] = _("The group %(name)s is already handler for this e-service.", name=group.name)
    else:
        user_id, group_id = link.user_id, link.group_id
    valid_from = ci.date(data, "valid_from", errors)
    valid_to = ci.date(data, "valid_to", errors)
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = _("The last day cannot come before the first day.")
    if errors:
        raise _invalid(errors)
    return {
        "user_id": user_id,
        "group_id": group_id,
        "restricted": ci.flag(data, "restricted"),
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


@transactional
def add_handler_link(eservice_id: int, data: Mapping[str, Any], *, actor: StaffUser) -> HandlerLink:
    """Make a handler or a group handler for the e-service, possibly restricted or for a time."""
    eservice = get_eservice(eservice_id, actor=actor)
    link = HandlerLink(eservice=eservice, **_read_link(data, eservice, None))
    db.session.add(link)
    db.session.flush()
    _record_link("config_handler_link_created", actor, link, None, _link_snapshot(link))
    return link


@transactional
def update_handler_link(eservice_id: int, link_id: int, data: Mapping[str, Any], *, actor: StaffUser) -> HandlerLink:
    """Change a handler link's restriction or period (who it links stays)."""
    link = _get_link(eservice_id, link_id, actor=actor)
    values = _read_link(data, link.eservice, link)
    before = _link_snapshot(link)
    link.restricted, link.valid_from, link.valid_to = values["restricted"], values["valid_from"], values["valid_to"]
    db.session.flush()
    _record_link("config_handler_link_changed", actor, link, before, _link_snapshot(link))
    return link


@transactional
def delete_handler_link(eservice_id: int, link_id: int, *, actor: StaffUser) -> None:
    """Take a handler or group off the e-service (their cases stay assigned)."""
    link = _get_link(eservice_id, link_id, actor=actor)
    _record_link("config_handler_link_deleted", actor, link, _link_snapshot(link), None)
    db.session.delete(link)
    db.session.flush()


def link_name(link: HandlerLink) -> str:
    if link.user is not None:
        return link.user.display_name
    return link.group.name if link.group is not None else ""


def _record_link(action: str, actor: StaffUser, link: HandlerLink, before, after) -> None:
    entry = record_config_change(action, user=actor, obj=link, before=before, after=after)
    if entry is not None:  # a link has no name of its own: "Hanna Berg – Skolskjuts"
        entry.details = {**entry.details, "name": f"{link_name(link)} – {link.eservice.name}"}


def _link_snapshot(link: HandlerLink) -> dict[str, Any]:
    data = snapshot(link, LINK_FIELDS)
    data["eservice"] = link.eservice.name if link.eservice else None
    data["handler"] = link_name(link)
    return data
