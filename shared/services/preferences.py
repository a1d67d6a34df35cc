"""A handler's own settings for the case overview (F-LIST-4), kept in UserPreference."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _

from shared import clock
from shared.db import db, transactional
from shared.errors import Invalid
from shared.models import HandlerDisplay, StaffUser, UserPreference
from shared.services.overview import COLUMNS, REQUIRED_COLUMNS, TABS

PAGE_SIZES: tuple[int, ...] = (10, 25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
HANDLER_DISPLAYS: tuple[str, ...] = tuple(d.value for d in HandlerDisplay)


@dataclass(frozen=True)
class ListSettings:
    """How the user wants the overview: which columns in what order, and the rest of F-LIST-4."""

    columns: tuple[str, ...] = COLUMNS
    open_in_new_tab: bool = False
    show_handler_as: str = HandlerDisplay.NAME.value
    page_size: int = DEFAULT_PAGE_SIZE
    default_tab: str | None = None


def _known_columns(columns: Iterable[str] | None) -> tuple[str, ...]:
    """Stored columns that still exist, in their order; the required ones are never lost."""
    if not columns:
        return COLUMNS
    kept = [c for c in dict.fromkeys(columns) if isinstance(c, str) and c in COLUMNS]
    for required in REQUIRED_COLUMNS:
        if required not in kept:
            kept.insert(0, required)
    return tuple(kept)


def list_settings(user: StaffUser) -> ListSettings:
    """The user's overview settings, or the defaults when they have saved none."""
    preference = db.session.get(UserPreference, user.id)
    if preference is None:
        return ListSettings()
    return ListSettings(
        columns=_known_columns(preference.list_columns),
        open_in_new_tab=bool(preference.open_in_new_tab),
        show_handler_as=preference.show_handler_as
        if preference.show_handler_as in HANDLER_DISPLAYS
        else HandlerDisplay.NAME.value,
        page_size=preference.page_size if preference.page_size in PAGE_SIZES else DEFAULT_PAGE_SIZE,
        default_tab=preference.default_tab if preference.default_tab in TABS else None,
    )


@transactional
def save_list_settings(
    user: StaffUser,
    *,
    columns: Iterable[str],
    open_in_new_tab: bool = False,
    show_handler_as: str = HandlerDisplay.NAME.value,
    page_size: int = DEFAULT_PAGE_SIZE,
    default_tab: str | None = None,
) -> ListSettings:
    """Save the user's overview settings (F-LIST-4); Invalid names every field that is wrong."""
    columns = list(columns)
    errors: dict[str, str] = {}
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown or len(set(columns)) != len(columns):
        errors["columns"] = _("Choose columns from the list, each once.")
    elif not REQUIRED_COLUMNS <= set(columns):
        errors["columns"] = _("The case number column cannot be hidden: it opens the case.")
    if show_handler_as not in HANDLER_DISPLAYS:
        errors["show_handler_as"] = _("Choose how handlers are shown.")
    if page_size not in PAGE_SIZES:
        errors["page_size"] = _("Choose how many cases to show on a page.")
    if default_tab not in (None, "", *TABS):
        errors["default_tab"] = _("Choose a tab.")
    if errors:
        raise Invalid(_("The settings could not be saved."), errors=errors)
    preference = db.session.get(UserPreference, user.id)
    if preference is None:
        preference = UserPreference(user_id=user.id)
        db.session.add(preference)
    preference.list_columns = columns
    preference.open_in_new_tab = bool(open_in_new_tab)
    preference.show_handler_as = show_handler_as
    preference.page_size = page_size
    preference.default_tab = default_tab or None
    preference.updated_at = clock.now()
    db.session.flush()
    return list_settings(user)


__all__ = ["HANDLER_DISPLAYS", "PAGE_SIZES", "ListSettings", "list_settings", "save_list_settings"]
