"""The handlers' case overview (Ärenden, F-LIST-1..3): the tabs' counts and one page of rows.

Everything here is built on ``access.visible_cases(user)``: a list, a count or a search
never reaches a case the user may not see. A page costs a fixed number of SQL statements
whatever its size: the user's handler links (inside ``visible_cases``), one statement for
all six tab counts, one for the page's rows (with e-service, version, status, flag and
colour meaning joined in) and one for the handlers of the page's cases; sorted by status,
one more (the status names' order).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union,
)

from shared import clock
from shared.db import db
from shared.models import (
    Case,
    CaseFlag,
    CaseHandler,
    ColourLabel,
    EService,
    EServiceVersion,
    GroupMember,
    HandlerDisplay,
    HandlerGroup,
    HandlerLink,
    StaffUser,
    Status,
    StatusKind,
)
from shared.services import access, listing

# The tabs in the order handlers know them from the seed (Obehandlade … Alla).
TABS: tuple[str, ...] = ("obehandlade", "forfallna", "mina", "flaggade", "pagaende", "alla")
DEFAULT_TAB = "obehandlade"

# The list's columns (F-LIST-2), in their default order.
COLUMNS: tuple[str, ...] = (
    "flag",
    "number",
    "status",
    "submitted",
    "applicant",
    "eservice",
    "version",
    "summary",
    "handlers",
    "colour",
)
# The case number opens the case, so it cannot be hidden.
REQUIRED_COLUMNS: frozenset[str] = frozenset({"number"})
DEFAULT_SORT = "submitted"
# Columns that may be empty on a submitted case.
NULLABLE_SORTS = frozenset({"applicant", "summary", "colour", "handlers"})
DEFAULT_DIRECTION = "desc"
DIRECTIONS = ("asc", "desc")

# The largest page the settings offer; a hand-typed page_size is held to it.
MAX_PAGE_SIZE = 200

_SEPARATORS = re.compile(r"[\s\-+]")


@dataclass(frozen=True)
class Filters:
    """F-LIST-3: what the handler narrowed the list down to."""

    q: str = ""
    eservice_id: int | None = None
    status: str | None = None  # a status name: "Inskickat" in every status group
    colour: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def active(self) -> bool:
        return any((self.q, self.eservice_id, self.status, self.colour, self.date_from, self.date_to))

    def as_args(self) -> dict[str, str]:
        """The filters as the overview's query arguments (for links that keep them)."""
        args = {
            "q": self.q,
            "eservice": str(self.eservice_id) if self.eservice_id else "",
            "status": self.status or "",
            "colour": self.colour or "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in args.items() if value}


def parse_filters(args: Mapping[str, Any]) -> tuple[Filters, list[str]]:
    """Read the filters from query arguments; a value that cannot be read is left out and explained."""
    problems: list[str] = []
    q = " ".join(str(args.get("q") or "").split())[:200]
    eservice_id = None
    raw_eservice = str(args.get("eservice") or "").strip()
    if raw_eservice:
        if raw_eservice.isdigit():
            eservice_id = int(raw_eservice)
        else:
            problems.append(_("The e-service filter could not be read."))
    status = str(args.get("status") or "").strip()[:120] or None
    colour = str(args.get("colour") or "").strip()[:20] or None
    date_from, date_to = listing.date_range(args, problems)
    return (
        Filters(
            q=q,
            eservice_id=eservice_id,
            status=status,
            colour=colour,
            date_from=date_from,
            date_to=date_to,
        ),
        sorted(set(problems)),
    )


# -- search (F-LIST-3) ---------------------------------------------------------------------


def personnummer_candidates(digits: str) -> list[str]:
    """The 12-digit forms a typed personnummer may stand for (cases store 12 digits).

    10 digits (YYMMDDNNNN, with or without dash or plus) may belong to any of the last
    three centuries: the database answers which one exists.
    """
    if len(digits) == 12:
        return [digits]
    if len(digits) == 10:
        return [century + digits for century in ("20", "19", "18")]
    return []


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(q: str) -> ColumnElement[bool] | None:
    """What the search box finds: a case number, a personnummer or organisationsnummer
    typed any common way, else the applicant's name and the answers' text."""
    text = " ".join(q.split())
    if not text:
        return None
    compact = _SEPARATORS.sub("", text)
    if compact.isdigit():
        conditions: list[ColumnElement[bool]] = []
        if len(compact) <= 9:
            conditions.append(Case.number == int(compact))
        candidates = personnummer_candidates(compact)
        if candidates:
            conditions.append(Case.personnummer.in_(candidates))
        if len(compact) == 10:
            conditions.append(Case.organisationsnummer == compact)
        elif len(compact) == 12 and compact.startswith("16"):  # organisationsnummer with the "16" prefix
            conditions.append(Case.organisationsnummer == compact[2:])
        if conditions:
            return or_(*conditions)
    pattern = _like(text)
    if db.engine.dialect.name == "sqlite":
        # SQLite's LIKE and lower() fold ASCII only: "öljung" would miss "Öljung".
        lowered = _sqlite_unicode_lower()
        pattern = pattern.casefold()
        return or_(
            *(
                lowered(column).like(pattern, escape="\\")
                for column in (Case.applicant_name, Case.contact_name, Case.search_text)
            )
        )
    return or_(
        Case.applicant_name.ilike(pattern, escape="\\"),
        Case.contact_name.ilike(pattern, escape="\\"),
        Case.search_text.ilike(pattern, escape="\\"),
    )


def _casefold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value


def _sqlite_unicode_lower():
    """A Unicode-aware lower() on the session's SQLite connection (registered where the query will run)."""
    driver_connection = db.session.connection().connection.driver_connection
    driver_connection.create_function("etjanst_casefold", 1, _casefold, deterministic=True)
    return func.etjanst_casefold


# -- the tabs ------------------------------------------------------------------------------


def _assigned_to_me(user: StaffUser) -> ColumnElement[bool]:
    """Mina: the case is assigned to the user in person or to one of their groups (1177)."""
    my_groups = select(GroupMember.group_id).where(GroupMember.user_id == user.id)
    return Case.id.in_(
        select(CaseHandler.case_id).where(or_(CaseHandler.user_id == user.id, CaseHandler.group_id.in_(my_groups)))
    )


def tab_conditions(user: StaffUser, now: dt.datetime | None = None) -> dict[str, ColumnElement[bool]]:
    """F-LIST-1: what puts a case under each tab (on top of what the user may see)."""
    now = now or clock.now()
    still_open = Case.closed_at.is_(None)
    return {
        # Not yet given to anyone (and not closed without anyone).
        "obehandlade": and_(still_open, Case.assigned == false()),
        # Past its due date; a status that waits for the applicant stops the clock.
        "forfallna": and_(still_open, Case.due_paused_at.is_(None), Case.due_at < now),
        # My work queue: open cases given to me or to one of my groups.
        "mina": and_(still_open, _assigned_to_me(user)),
        # My personal stars, open or closed.
        "flaggade": Case.id.in_(select(CaseFlag.case_id).where(CaseFlag.user_id == user.id)),
        # Given to someone and not closed.
        "pagaende": and_(still_open, Case.assigned == true()),
        "alla": true(),
    }


def _day_starts(day: dt.date) -> dt.datetime:
    """When a Swedish calendar day begins, as the naive UTC the database stores."""
    local_midnight = dt.datetime.combine(day, dt.time.min, tzinfo=clock.LOCAL_TZ)
    return local_midnight.astimezone(dt.UTC).replace(tzinfo=None)


def filter_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    """The SQL conditions of the filters and the search."""
    conditions: list[ColumnElement[bool]] = []
    if filters.eservice_id:
        conditions.append(Case.eservice_id == filters.eservice_id)
    if filters.status:
        conditions.append(Case.status_id.in_(select(Status.id).where(Status.name == filters.status)))
    if filters.colour:
        conditions.append(Case.colour == filters.colour)
    if filters.date_from:
        conditions.append(Case.submitted_at >= _day_starts(filters.date_from))
    if filters.date_to:
        conditions.append(Case.submitted_at < _day_starts(filters.date_to + dt.timedelta(days=1)))
    searched = search_condition(filters.q)
    if searched is not None:
        conditions.append(searched)
    return conditions


# -- sorting ---------------------------------------------------------------------------------


def _person_name(show_handler_as: str) -> ColumnElement[str]:
    if show_handler_as == HandlerDisplay.USERNAME:
        return StaffUser.username
    full = func.trim(func.coalesce(StaffUser.first_name, "") + literal(" ") + func.coalesce(StaffUser.last_name, ""))
    return func.coalesce(func.nullif(full, ""), StaffUser.username)


def _status_rank() -> ColumnElement[Any]:
    """The status name's place in alphabetical order, from the case's own status_id.

    Sorting by ``Status.name`` needs the status joined to every visible case before the sort;
    a rank looked up once from the small status table lets the database sort the case ids
    alone, straight from an index (ix_case_visible_status), and fetch only the page's rows.
    Statuses of the same name share a rank, as they share a name.
    """
    ranks = db.session.execute(select(Status.id, func.dense_rank().over(order_by=Status.name).label("rank"))).all()
    if not ranks:
        return literal(0)
    return case({status_id: rank for status_id, rank in ranks}, value=Case.status_id, else_=len(ranks) + 1)


def _sort_expression(column: str, user: StaffUser, show_handler_as: str) -> ColumnElement[Any]:
    if column == "number":
        return Case.number
    if column == "status":
        return _status_rank()
    if column == "submitted":
        return Case.submitted_at
    if column == "applicant":
        return func.coalesce(Case.applicant_name, Case.contact_name)
    if column == "eservice":
        return EService.name
    if column == "version":
        return EServiceVersion.number
    if column == "summary":
        return Case.summary
    if column == "colour":
        return Case.colour
    if column == "flag":
        return exists().where(CaseFlag.case_id == Case.id, CaseFlag.user_id == user.id)
    if column == "handlers":
        # The first handler's name as shown in the list: a person, or the group (1177).
        return (
            select(func.min(func.coalesce(_person_name(show_handler_as), HandlerGroup.name)))
            .select_from(CaseHandler)
            .outerjoin(StaffUser, StaffUser.id == CaseHandler.user_id)
            .outerjoin(HandlerGroup, HandlerGroup.id == CaseHandler.group_id)
            .where(CaseHandler.case_id == Case.id)
            .scalar_subquery()
        )
    raise ValueError(column)


# -- the page --------------------------------------------------------------------------------


@dataclass
class Handler:
    """One handler of a case as the list shows it: a person, or a group."""

    name: str
    is_group: bool
    user_id: int | None = None
    group_id: int | None = None


@dataclass
class Row:
    """One line of the overview."""

    id: int
    number: int
    submitted_at: dt.datetime | None
    applicant: str
    summary: str
    colour: str | None
    colour_meaning: str | None
    eservice_id: int
    eservice_name: str
    version_id: int
    version_number: int
    status_name: str
    status_kind: str
    flagged: bool
    overdue: bool
    closed: bool
    handlers: list[Handler] = field(default_factory=list)


@dataclass
class Overview:
    """A tab's page: the rows, every tab's count and where the page lies."""

    tab: str
    filters: Filters
    sort: str
    direction: str
    page: int
    page_size: int
    total: int
    counts: dict[str, int]
    rows: list[Row]
    # The e-services whose cases the user may see (None: an administrator, every one), as
    # visible_eservice_ids gives them: for the filters and bulk actions beside the list.
    eservice_ids: set[int] | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def first_index(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.page_size + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.page_size)


class _Query:
    """The overview's statements for one user, sharing one access check."""

    def __init__(self, user: StaffUser, filters: Filters, now: dt.datetime | None = None) -> None:
        self.user = user
        self.filters = filters
        self.now = now or clock.now()
        # The user's handler links, read once: for visible_cases (whose WHERE is reused below) and
        # for the e-services the page's filters and bulk actions offer.
        links = None if access.is_admin(user) else access.handler_links(user)
        self.eservice_ids = None if links is None else {eservice_id for eservice_id, _restricted in links}
        visible = access.visible_cases(user, links=links)
        narrowed = filter_conditions(filters)
        self.filtered = bool(narrowed)
        self.where = [visible.whereclause, *narrowed]
        self.tabs = tab_conditions(user, self.now)

    def counts_statement(self):
        """All six counts in one statement, reading as little as it can.

        Without filters, the four tabs of open cases count the open cases only (most cases
        are closed, and an index holds the open ones), Alla counts every visible case from
        a narrow index, and Flaggade starts from the user's few flags. With a search or
        filters, one pass over the matching cases counts all six (a search should be read
        once, not three times).

        Mina and Flaggade are outer joins, never ``IN (subquery)`` inside an aggregate: such
        a subquery cannot become a join, and PostgreSQL runs it once per case when it
        guesses its result too big to hash (minutes at a million cases).
        """
        my_groups = select(GroupMember.group_id).where(GroupMember.user_id == self.user.id)
        # A UNION (which also removes duplicates) lets each half use its index; an OR with a
        # subquery would read every assignment there is.
        mine = union(
            select(CaseHandler.case_id).where(CaseHandler.user_id == self.user.id),
            select(CaseHandler.case_id).where(CaseHandler.group_id.in_(my_groups)),
        ).subquery("mine")
        open_conditions = {
            "obehandlade": Case.assigned == false(),
            "forfallna": and_(Case.due_paused_at.is_(None), Case.due_at < self.now),
            "mina": mine.c.case_id.is_not(None),
            "pagaende": Case.assigned == true(),
        }
        if self.filtered:
            flags = select(CaseFlag.case_id).where(CaseFlag.user_id == self.user.id).subquery("flags")
            still_open = Case.closed_at.is_(None)
            conditions = {
                **{key: and_(still_open, condition) for key, condition in open_conditions.items()},
                "flaggade": flags.c.case_id.is_not(None),
            }
            columns = [
                (func.count() if key == "alla" else func.count().filter(conditions[key])).label(key) for key in TABS
            ]
            return (
                select(*columns)
                .select_from(Case)
                .outerjoin(mine, mine.c.case_id == Case.id)
                .outerjoin(flags, flags.c.case_id == Case.id)
                .where(*self.where)
            )
        open_counts = (
            select(*(func.count().filter(condition).label(key) for key, condition in open_conditions.items()))
            .select_from(Case)
            .outerjoin(mine, mine.c.case_id == Case.id)
            .where(*self.where, Case.closed_at.is_(None))
            .subquery("open_counts")
        )
        flagged = (
            select(func.count())
            .select_from(CaseFlag)
            .join(Case, Case.id == CaseFlag.case_id)
            .where(CaseFlag.user_id == self.user.id, *self.where)
            .scalar_subquery()
        )
        every = select(func.count()).select_from(Case).where(*self.where).scalar_subquery()
        columns = {**{key: open_counts.c[key] for key in open_conditions}, "flaggade": flagged, "alla": every}
        return select(*(columns[key].label(key) for key in TABS)).select_from(open_counts)

    def counts(self) -> dict[str, int]:
        row = db.session.execute(self.counts_statement()).one()
        return {key: int(row._mapping[key] or 0) for key in TABS}

    def rows_statement(self, tab: str, sort: str, direction: str, offset: int, limit: int, show_handler_as: str):
        """The page's rows: first the page's case ids, sorted and cut on the cases table alone
        (from an index where the sort has one), then everything the rows show for those ids only.

        Joining the e-service, version and status and the flag and colour look-ups before the
        sort would do them for every visible case (100,000 for a handler of two e-services);
        done after, they cost 50 look-ups.
        """
        order = _sort_expression(sort, self.user, show_handler_as)
        order = order.desc() if direction == "desc" else order.asc()
        if sort in NULLABLE_SORTS:
            # Empty values last either way (the databases disagree by default). Not on the
            # indexed columns: NULLS LAST on a descending sort would stop the index being used.
            order = order.nulls_last()
        tie = Case.id.desc() if direction == "desc" else Case.id.asc()
        page_ids = select(Case.id).where(*self.where, self.tabs[tab])
        if sort == "eservice":
            page_ids = page_ids.join(EService, EService.id == Case.eservice_id)
        elif sort == "version":
            page_ids = page_ids.join(EServiceVersion, EServiceVersion.id == Case.version_id)
        page_ids = page_ids.order_by(order, tie).offset(offset).limit(limit).subquery("page_ids")

        flagged = exists().where(CaseFlag.case_id == Case.id, CaseFlag.user_id == self.user.id)
        meaning = (
            select(ColourLabel.meaning)
            .where(ColourLabel.eservice_id == Case.eservice_id, ColourLabel.colour == Case.colour)
            .limit(1)
            .scalar_subquery()
        )
        return (
            select(
                Case.id,
                Case.number,
                Case.submitted_at,
                func.coalesce(Case.applicant_name, Case.contact_name, Case.contact_email).label("applicant"),
                Case.summary,
                Case.colour,
                meaning.label("colour_meaning"),
                Case.eservice_id,
                EService.name.label("eservice_name"),
                Case.version_id,
                EServiceVersion.number.label("version_number"),
                Status.name.label("status_name"),
                Status.kind.label("status_kind"),
                flagged.label("flagged"),
                Case.due_at,
                Case.due_paused_at,
                Case.closed_at,
            )
            .select_from(page_ids)
            .join(Case, Case.id == page_ids.c.id)
            .join(EService, EService.id == Case.eservice_id)
            .join(EServiceVersion, EServiceVersion.id == Case.version_id)
            .join(Status, Status.id == Case.status_id)
            # The page's own order again, on its few rows.
            .order_by(order, tie)
        )

    def rows(self, tab: str, sort: str, direction: str, offset: int, limit: int, show_handler_as: str) -> list[Row]:
        statement = self.rows_statement(tab, sort, direction, offset, limit, show_handler_as)
        rows = [
            Row(
                id=r.id,
                number=r.number,
                submitted_at=r.submitted_at,
                applicant=r.applicant or "",
                summary=r.summary or "",
                colour=r.colour,
                colour_meaning=r.colour_meaning,
                eservice_id=r.eservice_id,
                eservice_name=r.eservice_name,
                version_id=r.version_id,
                version_number=r.version_number,
                status_name=r.status_name,
                status_kind=str(r.status_kind),
                flagged=bool(r.flagged),
                overdue=r.closed_at is None
                and r.due_paused_at is None
                and r.due_at is not None
                and r.due_at < self.now,
                closed=r.closed_at is not None,
            )
            for r in db.session.execute(statement)
        ]
        attach_handlers(rows, show_handler_as)
        return rows


def handlers_statement(case_ids: list[int], show_handler_as: str):
    """The handlers (persons and groups) of the given cases, in the order they were assigned."""
    return (
        select(
            CaseHandler.case_id,
            CaseHandler.user_id,
            CaseHandler.group_id,
            _person_name(show_handler_as).label("person"),
            HandlerGroup.name.label("group_name"),
        )
        .select_from(CaseHandler)
        .outerjoin(StaffUser, StaffUser.id == CaseHandler.user_id)
        .outerjoin(HandlerGroup, HandlerGroup.id == CaseHandler.group_id)
        .where(CaseHandler.case_id.in_(case_ids))
        .order_by(CaseHandler.case_id, CaseHandler.id)
    )


def attach_handlers(rows: list[Row], show_handler_as: str = HandlerDisplay.NAME.value) -> None:
    """Fill in each row's handlers with one statement (none when the page is empty)."""
    if not rows:
        return
    by_id = {row.id: row for row in rows}
    for r in db.session.execute(handlers_statement(list(by_id), show_handler_as)):
        if r.group_id is not None:
            handler = Handler(name=r.group_name or "", is_group=True, group_id=r.group_id)
        else:
            handler = Handler(name=r.person or "", is_group=False, user_id=r.user_id)
        by_id[r.case_id].handlers.append(handler)


def _clean_sort(sort: str | None, direction: str | None) -> tuple[str, str]:
    if sort not in COLUMNS:
        return DEFAULT_SORT, DEFAULT_DIRECTION
    if direction not in DIRECTIONS:
        direction = "desc" if sort == "submitted" else "asc"
    return sort, direction  # type: ignore[return-value]


def tab_counts(user: StaffUser, filters: Filters | None = None) -> dict[str, int]:
    """F-LIST-1: how many of the cases the user may see fall under each tab (one SQL statement)."""
    return _Query(user, filters or Filters()).counts()


def case_overview(
    user: StaffUser,
    *,
    tab: str = DEFAULT_TAB,
    filters: Filters | None = None,
    sort: str | None = None,
    direction: str | None = None,
    page: int = 1,
    page_size: int = 50,
    show_handler_as: str = HandlerDisplay.NAME.value,
) -> Overview:
    """One page of a tab of the overview with every tab's count, for what the user may see.

    The counts follow the filters and the search, so the current tab's count is also the
    number of rows to page through.
    """
    tab = tab if tab in TABS else DEFAULT_TAB
    filters = filters or Filters()
    sort, direction = _clean_sort(sort, direction)
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    query = _Query(user, filters)
    counts = query.counts()
    total = counts[tab]
    last_page = max(1, math.ceil(total / page_size))
    page = max(1, min(int(page), last_page))
    rows = query.rows(tab, sort, direction, (page - 1) * page_size, page_size, show_handler_as) if total else []
    return Overview(
        tab=tab,
        filters=filters,
        sort=sort,
        direction=direction,
        page=page,
        page_size=page_size,
        total=total,
        counts=counts,
        rows=rows,
        eservice_ids=query.eservice_ids,
    )


# -- what the filters offer ----------------------------------------------------------------


@dataclass
class FilterChoices:
    """The choices of the overview's filters and bulk actions, for the e-services the user handles."""

    eservices: list[Any]  # rows of (id, name)
    status_names: list[str]
    colours: list[Any]  # rows of (eservice_id, colour, meaning)


def visible_eservice_ids(user: StaffUser) -> set[int] | None:
    """The e-services whose cases the user may see; None for an administrator (every one)."""
    if access.is_admin(user):
        return None
    return access.linked_eservice_ids(user)


_ALL = object()


def filter_choices(user: StaffUser, eservice_ids: set[int] | None | object = _ALL) -> FilterChoices:
    """What the overview's drop-downs offer: the user's e-services, their statuses and colours.

    ``eservice_ids`` is ``visible_eservice_ids(user)`` when the caller has it already.
    """
    ids = visible_eservice_ids(user) if eservice_ids is _ALL else eservice_ids
    query = select(EService.id, EService.name, EService.status_group_id, EService.colour_marking).order_by(
        EService.name
    )
    if ids is not None:
        if not ids:
            return FilterChoices([], [], [])
        query = query.where(EService.id.in_(sorted(ids)))
    eservices = db.session.execute(query).all()
    group_ids = sorted({e.status_group_id for e in eservices})
    statuses = db.session.execute(
        select(Status.name, func.min(Status.sort_order))
        .where(Status.group_id.in_(group_ids), Status.kind != StatusKind.DRAFT)
        .group_by(Status.name)
        .order_by(func.min(Status.sort_order), Status.name)
    ).all()
    colours = db.session.execute(
        select(ColourLabel.eservice_id, ColourLabel.colour, ColourLabel.meaning)
        .where(ColourLabel.eservice_id.in_([e.id for e in eservices if e.colour_marking]))
        .order_by(ColourLabel.eservice_id, ColourLabel.sort_order, ColourLabel.id)
    ).all()
    return FilterChoices(eservices=eservices, status_names=[name for name, _order in statuses], colours=colours)


@dataclass
class AssigneeChoices:
    """Whom the bulk "change handler" may give cases to: people and groups who handle the user's e-services."""

    people: list[Any]  # rows of (id, username, display_name)
    groups: list[Any]  # rows of (id, name)


def assignee_choices(user: StaffUser, eservice_ids: set[int] | None | object = _ALL) -> AssigneeChoices:
    """The handlers and groups linked today to any e-service the user sees (each case's own e-service is checked on saving)."""
    ids = visible_eservice_ids(user) if eservice_ids is _ALL else eservice_ids
    if ids is not None and not ids:
        return AssigneeChoices([], [])
    links = select(HandlerLink.user_id, HandlerLink.group_id).where(*access.link_valid_today())
    if ids is not None:
        links = links.where(HandlerLink.eservice_id.in_(sorted(ids)))
    links = links.subquery()
    groups = db.session.execute(
        select(HandlerGroup.id, HandlerGroup.name)
        .where(HandlerGroup.id.in_(select(links.c.group_id)))
        .order_by(HandlerGroup.name)
    ).all()
    via_group = select(GroupMember.user_id).where(GroupMember.group_id.in_(select(links.c.group_id)))
    people = db.session.execute(
        select(StaffUser.id, StaffUser.username, _person_name(HandlerDisplay.NAME.value).label("display_name"))
        .where(
            StaffUser.active.is_(True),
            or_(StaffUser.id.in_(select(links.c.user_id)), StaffUser.id.in_(via_group)),
        )
        .order_by(StaffUser.first_name, StaffUser.last_name, StaffUser.id)
    ).all()
    return AssigneeChoices(people=people, groups=groups)


__all__ = [
    "AssigneeChoices",
    "assignee_choices",
    "COLUMNS",
    "DEFAULT_TAB",
    "TABS",
    "FilterChoices",
    "Filters",
    "Handler",
    "Overview",
    "Row",
    "attach_handlers",
    "case_overview",
    "filter_choices",
    "parse_filters",
    "personnummer_candidates",
    "search_condition",
    "tab_counts",
    "visible_eservice_ids",
]
