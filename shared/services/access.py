"""Who may see and do what with a case: the one place for access rules.

Back office (handlers, admins):
- An admin sees every submitted case.
- A handler is linked to an e-service directly or through a handler group; a link counts
  only while its valid_from/valid_to cover today. An unrestricted link shows every case of
  the e-service; where all of one's links are restricted (begränsad behörighet), only the
  cases assigned to oneself or to one of one's groups.
- A role alone (Builder, Handler) gives no case. Drafts are never shown in the back office.
- Someone who may not see a case is told it does not exist (NotFound), so a URL typed by
  hand reveals nothing; someone who sees it but may not do the action gets NotAllowed.
- Manual add (lägg till ärende, F-LIST-6): an admin, or a handler whose link to the
  e-service is not restricted, on an enabled e-service that allows it.

Subtasks (deluppgifter, F-SUB-*): whoever may see the case sees its subtasks and may resolve
them; the subtask's responsible sees its page and the documents it grants, and nothing else of
the case unless allowed on the case otherwise. Messages and the conclusion are for the
responsible and the case owner (the subtask's creator, the case's handlers); a resolved subtask
is locked.

Portal (citizens): a citizen sees only their own cases and drafts.

Configuration (the e-service builder's screens, issue 6): an active user with the role
Builder or Admin (require_builder); the role gives no case.

Test mode (Testa e-tjänsten, F-ES-4): a builder, an administrator, or a handler linked to the
e-service may run any of its versions in the portal. A test draft is never numbered, so no
back-office query (they all start from submitted cases) and no citizen query shows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from flask_appbuilder.security.sqla.models import Permission, PermissionView, ViewMenu, assoc_permissionview_role
from flask_babel import gettext as _
from sqlalchemy import Select, false, or_, select, true

from shared import clock, roles
from shared.db import db
from shared.errors import DomainError, NotAllowed, NotFound
from shared.models import (
    Case,
    CaseHandler,
    Citizen,
    DeletePolicy,
    Document,
    EService,
    GroupMember,
    HandlerLink,
    StaffUser,
    Subtask,
    SubtaskStatus,
    subtask_document_grant,
)

Action = Literal[
    "view",
    "take",
    "take_over",
    "assign",
    "remove_self",
    "change_status",
    "message",
    "note",
    "add_document",
    "download_document",
    "flag",
    "colour",
    "edit_answers",
    "external_number",
    "delete",
]
ACTIONS: frozenset[str] = frozenset(Action.__args__)  # type: ignore[attr-defined]

CitizenAction = Literal["view", "edit_draft", "message", "add_supplement", "download_document"]
CITIZEN_ACTIONS: frozenset[str] = frozenset(CitizenAction.__args__)  # type: ignore[attr-defined]

# How a back-office user stands to a case they may see.
ADMIN, HANDLER, RESTRICTED = "admin", "handler", "restricted"


def case_not_found() -> NotFound:
    """The one answer for a case that does not exist or may not be seen (reveals nothing)."""
    return NotFound(_("The case was not found."))


def is_admin(user: StaffUser | None) -> bool:
    """Whether the user is an active system administrator."""
    return user is not None and bool(user.active) and user.has_role(roles.ADMIN)


def is_builder(user: StaffUser | None) -> bool:
    """Whether the user is an active e-service builder (role Builder) or system administrator."""
    return user is not None and bool(user.active) and (user.has_role(roles.BUILDER) or user.has_role(roles.ADMIN))


def require_builder(user: StaffUser | None) -> None:
    """Raise NotAllowed unless the user may configure e-services (role Builder or Admin)."""
    if not is_builder(user):
        raise NotAllowed(_("Only e-service builders and administrators may change the e-service configuration."))


# "Hantera frånvaro" (F-GRP-3): set an absence and its forwarding for a colleague (sick leave).
# A Flask-AppBuilder permission on the back office's absence view, so an administrator can
# give it to any role in the Roles screen; Admin has every permission.
MANAGE_ABSENCES = ("AbsenceView", "can_manage_others")


def has_permission(user: StaffUser | None, view_menu: str, permission: str) -> bool:
    """Whether one of the active user's roles (direct or through a user group) has the back-office permission."""
    if user is None or not user.active:
        return False
    user_roles = [*user.roles, *(role for group in getattr(user, "groups", None) or () for role in group.roles)]
    if any(role.name == roles.ADMIN for role in user_roles):
        return True
    role_ids = sorted({role.id for role in user_roles})
    if not role_ids:
        return False
    found = db.session.scalar(
        select(true())
        .select_from(PermissionView)
        .join(Permission, Permission.id == PermissionView.permission_id)
        .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
        .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == PermissionView.id)
        .where(
            assoc_permissionview_role.c.role_id.in_(role_ids),
            Permission.name == permission,
            ViewMenu.name == view_menu,
        )
        .limit(1)
    )
    return bool(found)


def may_edit_colour_legend(user: StaffUser | None, eservice: EService | None) -> bool:
    """F-ES-10: builders, and the handlers linked to the e-service today, set what its colours mean."""
    if user is None or not user.active:
        return False
    if is_builder(user):
        return True
    return eservice is not None and eservice.id in linked_eservice_ids(user)


def handled_eservices(user: StaffUser | None, *, options: Iterable = ()) -> list[EService]:
    """The e-services whose cases the user works with (administrators: all; handlers: those linked today), by name.

    The choices of every screen that starts from an e-service (export, mailings, statistics).
    """
    query = select(EService).options(*options).order_by(EService.name, EService.id)
    if not is_admin(user):
        linked = linked_eservice_ids(user) if user is not None and user.active else set()
        if not linked:
            return []
        query = query.where(EService.id.in_(sorted(linked)))
    return list(db.session.scalars(query))


def handled_eservice(eservice_id: int | None, user: StaffUser | None, *, options: Iterable = ()) -> EService:
    """One of the user's handled e-services; NotFound for any other, so a typed id reveals nothing."""
    eservice = db.session.get(EService, eservice_id, options=list(options)) if eservice_id else None
    if eservice is None or user is None or not user.active:
        raise NotFound(_("The e-service was not found."))
    if not is_admin(user) and eservice.id not in linked_eservice_ids(user):
        raise NotFound(_("The e-service was not found."))
    return eservice


def may_manage_absences(user: StaffUser | None) -> bool:
    """Whether the user may set and end other people's absences (Hantera frånvaro)."""
    return has_permission(user, *MANAGE_ABSENCES)


def link_valid_today() -> tuple:
    """SQL conditions: the HandlerLink counts today (valid_from/valid_to cover clock.today())."""
    today = clock.today()
    return (
        or_(HandlerLink.valid_from.is_(None), HandlerLink.valid_from <= today),
        or_(HandlerLink.valid_to.is_(None), HandlerLink.valid_to >= today),
    )


def _group_ids_of(user: StaffUser):
    return select(GroupMember.group_id).where(GroupMember.user_id == user.id)


def _link_rows(user: StaffUser, eservice_id: int | None = None) -> list[tuple[int, bool]]:
    """(eservice_id, restricted) of every link that counts today, direct or via a group."""
    if user is None or not user.active:
        return []
    query = select(HandlerLink.eservice_id, HandlerLink.restricted).where(
        or_(HandlerLink.user_id == user.id, HandlerLink.group_id.in_(_group_ids_of(user))), *link_valid_today()
    )
    if eservice_id is not None:
        query = query.where(HandlerLink.eservice_id == eservice_id)
    return [(row[0], bool(row[1])) for row in db.session.execute(query)]


def linked_eservice_ids(user: StaffUser, *, restricted: bool | None = None) -> set[int]:
    """The e-services the user is handler for today (restricted=False: with full sight; True: restricted only)."""
    rows = _link_rows(user)
    every = {eservice_id for eservice_id, _restricted in rows}
    unrestricted = {eservice_id for eservice_id, is_restricted in rows if not is_restricted}
    if restricted is None:
        return every
    return every - unrestricted if restricted else unrestricted


def _assigned_to(user: StaffUser):
    """Case ids assigned to the user directly or to one of their groups."""
    return select(CaseHandler.case_id).where(
        or_(CaseHandler.user_id == user.id, CaseHandler.group_id.in_(_group_ids_of(user)))
    )


def handler_links(user: StaffUser | None) -> list[tuple[int, bool]]:
    """(eservice_id, restricted) of every link of the user's that counts today, direct or via a group."""
    return _link_rows(user)


def visible_cases(user: StaffUser, *, links: list[tuple[int, bool]] | None = None) -> Select[tuple[Case]]:
    """The submitted cases this back-office user may see: the query every list, count, export and API uses.

    ``links``: ``handler_links(user)`` when the caller has read them already (not read again).
    """
    query = select(Case).where(Case.number.is_not(None))
    if user is None or not user.active:
        return query.where(false())
    if is_admin(user):
        return query
    rows = _link_rows(user) if links is None else links
    full = {eservice_id for eservice_id, is_restricted in rows if not is_restricted}
    restricted_only = {eservice_id for eservice_id, _r in rows} - full
    conditions = []
    if full:
        conditions.append(Case.eservice_id.in_(sorted(full)))
    if restricted_only:
        conditions.append(Case.eservice_id.in_(sorted(restricted_only)) & Case.id.in_(_assigned_to(user)))
    return query.where(or_(*conditions) if conditions else false())


def manual_add_eservices(user: StaffUser | None) -> Select[tuple[EService]]:
    """The e-services the back-office user may add cases to by hand (lägg till ärende), by name."""
    # Open for manual add, and the user sees all its cases: an admin, or a handler whose
    # link is not restricted. A restricted handler would lose sight of a case they add.
    query = (
        select(EService)
        .where(EService.enabled.is_(True), EService.manual_add.is_(True))
        .order_by(EService.name, EService.id)
    )
    if user is None or not user.active:
        return query.where(false())
    if is_admin(user):
        return query
    full = linked_eservice_ids(user, restricted=False)
    return query.where(EService.id.in_(sorted(full)) if full else false())


def manual_add_denial(user: StaffUser | None, eservice: EService | None) -> DomainError | None:
    """Why the user may not add a case by hand to the e-service, or None when they may."""
    if eservice is None:
        return NotFound(_("The e-service was not found."))
    if not eservice.manual_add or not eservice.enabled:
        return NotAllowed(_("Cases cannot be added manually in the e-service %(name)s.", name=eservice.name))
    if is_admin(user):
        return None
    rows = _link_rows(user, eservice.id) if user is not None else []
    if not rows:
        return NotAllowed(_("You are not a handler for the e-service %(name)s.", name=eservice.name))
    if all(is_restricted for _e, is_restricted in rows):
        return NotAllowed(
            _("Handlers with restricted access cannot add cases to the e-service %(name)s.", name=eservice.name)
        )
    return None


def require_manual_add(user: StaffUser | None, eservice: EService | None) -> None:
    """Raise NotFound or NotAllowed unless the user may add a case by hand to the e-service."""
    error = manual_add_denial(user, eservice)
    if error is not None:
        raise error


def may_test(user: StaffUser | None, eservice: EService | None) -> bool:
    """Whether the staff user may run the e-service in the portal in test mode (Testa e-tjänsten, F-ES-4):
    a builder or administrator, or a handler linked to it today (directly or through a group)."""
    if eservice is None or user is None or not user.active:
        return False
    return is_builder(user) or bool(_link_rows(user, eservice.id))


def require_tester(user: StaffUser | None, eservice: EService | None) -> None:
    """Raise NotFound or NotAllowed unless the user may test the e-service."""
    if eservice is None:
        raise NotFound(_("The e-service was not found."))
    if not may_test(user, eservice):
        raise NotAllowed(_("You may test only the e-services you build or handle."))


def testable_eservices(user: StaffUser | None) -> Select[tuple[EService]]:
    """The e-services the staff user may test, by name: all for builders and administrators, else their own."""
    query = select(EService).order_by(EService.name, EService.id)
    if user is None or not user.active:
        return query.where(false())
    if is_builder(user):
        return query
    linked = linked_eservice_ids(user)
    return query.where(EService.id.in_(sorted(linked)) if linked else false())


def citizen_cases(citizen: Citizen, *, drafts: bool | None = False) -> Select[tuple[Case]]:
    """The citizen's own cases for Mina sidor (drafts=True: only drafts; None: both), newest first."""
    query = select(Case).where(Case.citizen_id == citizen.id, Case.is_test.is_(False))
    if drafts is True:
        query = query.where(Case.number.is_(None))
    elif drafts is False:
        query = query.where(Case.number.is_not(None))
    return query.order_by(Case.created_at.desc(), Case.id.desc())


def relation(user: StaffUser | None, case: Case | None) -> str | None:
    """How the user stands to the case: "admin", "handler", "restricted" (sees it as assigned) or None."""
    if user is None or case is None or case.number is None or not user.active:
        return None
    if is_admin(user):
        return ADMIN
    rows = _link_rows(user, case.eservice_id)
    if not rows:
        return None
    if any(not is_restricted for _e, is_restricted in rows):
        return HANDLER
    return RESTRICTED if is_assigned(user, case, via_group=True) else None


def is_assigned(user: StaffUser, case: Case, *, via_group: bool = False) -> bool:
    """Whether the user is a handler of the case in person (or, with via_group, through a group)."""
    if any(h.user_id == user.id for h in case.handlers):
        return True
    if not via_group:
        return False
    group_ids = {h.group_id for h in case.handlers if h.group_id is not None}
    if not group_ids:
        return False
    found = db.session.scalar(
        select(true()).where(GroupMember.user_id == user.id, GroupMember.group_id.in_(group_ids)).limit(1)
    )
    return bool(found)


_UNKNOWN = object()


def _denial(user: StaffUser | None, action: str, case: Case | None, rel: object = _UNKNOWN) -> DomainError | None:
    """The error the action would meet, or None when it is allowed (rel: the user's relation, if known)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown case action: {action!r}")
    if rel is _UNKNOWN:
        rel = relation(user, case)
    if rel is None:
        return case_not_found()
    assert case is not None and user is not None
    eservice = case.eservice
    if action == "message":
        if not eservice.messages_enabled:
            return NotAllowed(_("Messages are not switched on for this e-service."))
        if case.citizen_id is None:
            return NotAllowed(_("The applicant did not log in with e-ID, so no messages can be sent in this case."))
        if not is_assigned(user, case):
            return NotAllowed(
                _("Only a handler assigned to the case in person may write to the applicant. Take the case first.")
            )
    elif action == "remove_self":
        if not is_assigned(user, case):
            return NotAllowed(_("You are not a handler of this case."))
    elif action == "add_document":
        if not eservice.documents_enabled:
            return NotAllowed(_("Documents are not switched on for this e-service."))
    elif action == "colour":
        if not eservice.colour_marking:
            return NotAllowed(_("Colour marking is not switched on for this e-service."))
    elif action == "edit_answers":
        if not eservice.edit_submitted_enabled:
            return NotAllowed(_("Submitted answers cannot be changed in this e-service."))
    elif action == "delete":
        policy = case.status.deletable_by
        allowed = (policy == DeletePolicy.ALL_HANDLERS) or (policy == DeletePolicy.HANDLERS and rel != RESTRICTED)
        if not allowed:
            if policy == DeletePolicy.NOBODY:
                return NotAllowed(_("Cases in status %(status)s cannot be deleted.", status=case.status.name))
            return NotAllowed(
                _("Only handlers with full access may delete cases in status %(status)s.", status=case.status.name)
            )
    return None


def can(user: StaffUser | None, action: Action, case: Case | None) -> bool:
    """Whether the back-office user may do the action on the case."""
    return _denial(user, action, case) is None


def allowed_actions(user: StaffUser | None, case: Case | None, actions: Iterable[str] = ACTIONS) -> dict[str, bool]:
    """can() for several actions at once, looking up how the user stands to the case only once (a screen's tools)."""
    rel = relation(user, case)
    return {action: _denial(user, action, case, rel) is None for action in actions}


def require(user: StaffUser | None, action: Action, case: Case | None) -> None:
    """Raise NotFound (may not see the case) or NotAllowed (may not do this) unless the action is allowed."""
    error = _denial(user, action, case)
    if error is not None:
        raise error


SubtaskAction = Literal["view", "message", "conclude", "resolve"]
SUBTASK_ACTIONS: frozenset[str] = frozenset(SubtaskAction.__args__)  # type: ignore[attr-defined]


def subtask_not_found() -> NotFound:
    """The one answer for a subtask that does not exist or may not be seen."""
    return NotFound(_("The subtask was not found."))


def is_subtask_owner(user: StaffUser, subtask: Subtask) -> bool:
    """Whether the user stands for the case on the subtask: its creator or a handler of the case."""
    return subtask.created_by_id == user.id or is_assigned(user, subtask.case, via_group=True)


def subtask_denial(user: StaffUser | None, action: str, subtask: Subtask | None) -> DomainError | None:
    """Why the back-office user may not do the action on the subtask, or None when they may."""
    if action not in SUBTASK_ACTIONS:
        raise ValueError(f"unknown subtask action: {action!r}")
    if user is None or subtask is None or not user.active:
        return subtask_not_found()
    responsible = subtask.responsible_id == user.id
    on_case = relation(user, subtask.case) is not None
    if not responsible and not on_case:
        return subtask_not_found()
    if action == "view":
        return None
    if subtask.status == SubtaskStatus.RESOLVED:
        return NotAllowed(_("The subtask is resolved and can no longer be changed."))
    if action in ("message", "conclude") and not (responsible or is_subtask_owner(user, subtask)):
        return NotAllowed(_("Only the subtask's responsible and the case owner may do this."))
    return None


def can_subtask(user: StaffUser | None, action: SubtaskAction, subtask: Subtask | None) -> bool:
    """Whether the back-office user may do the action on the subtask."""
    return subtask_denial(user, action, subtask) is None


def require_subtask(user: StaffUser | None, action: SubtaskAction, subtask: Subtask | None) -> None:
    """Raise NotFound (may not see the subtask) or NotAllowed unless the action on the subtask is allowed."""
    error = subtask_denial(user, action, subtask)
    if error is not None:
        raise error


def granted_by_subtask(user: StaffUser | None, document: Document | None) -> bool:
    """Whether a subtask the user is responsible for grants them the document (all they may see of the case)."""
    if user is None or document is None or not user.active:
        return False
    found = db.session.scalar(
        select(true())
        .select_from(subtask_document_grant)
        .join(Subtask, Subtask.id == subtask_document_grant.c.subtask_id)
        .where(subtask_document_grant.c.document_id == document.id, Subtask.responsible_id == user.id)
        .limit(1)
    )
    return bool(found)


def citizen_denial(citizen: Citizen | None, action: str, case: Case | None) -> DomainError | None:
    """Why the citizen may not do the action on the case (NotFound: not theirs), or None when they may."""
    if action not in CITIZEN_ACTIONS:
        raise ValueError(f"unknown citizen action: {action!r}")
    if citizen is None or case is None or case.citizen_id is None or case.citizen_id != citizen.id:
        return case_not_found()
    if action in ("view", "download_document"):
        return None
    if action == "edit_draft":
        return None if case.is_draft else NotAllowed(_("The application has already been submitted."))
    if case.is_draft:
        return NotAllowed(_("Submit the application first."))
    status, eservice = case.status, case.eservice
    if action == "message":
        if not eservice.messages_enabled or not status.applicant_may_message:
            return NotAllowed(_("You cannot write messages in this case any more."))
        if status.applicant_message_days is not None:
            if clock.now() > case.status_changed_at + dt.timedelta(days=status.applicant_message_days):
                return NotAllowed(_("You cannot write messages in this case any more."))
        return None
    if action == "add_supplement":
        if not eservice.documents_enabled or not status.applicant_may_supplement:
            return NotAllowed(_("You cannot add documents to the case in its current status."))
        return None
    return None


def can_citizen(citizen: Citizen | None, action: CitizenAction, case: Case | None) -> bool:
    """Whether the citizen may do the action on the case (their own only)."""
    return citizen_denial(citizen, action, case) is None


def require_citizen(citizen: Citizen | None, action: CitizenAction, case: Case | None) -> None:
    """Raise NotFound (not their case) or NotAllowed (not now) unless the citizen may do the action."""
    error = citizen_denial(citizen, action, case)
    if error is not None:
        raise error


def anonymous_draft_denial(case: Case | None) -> DomainError | None:
    """For an applicant who is not logged in: only an anonymous draft is theirs to continue."""
    if case is None or case.citizen_id is not None or not case.is_draft:
        return case_not_found()
    return None
