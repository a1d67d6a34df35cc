"""Access decorators for back-office views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import redirect, request
from flask_appbuilder.security.decorators import has_access
from flask_login import current_user


def staff_access(view: Callable[..., Any]) -> Callable[..., Any]:
    """FAB's ``has_access`` (permission ``can_<method>`` on the view), except that a
    visitor who is not logged in is sent to the login page without an error message
    (FAB would flash "Access is Denied" first)."""
    checked = has_access(view)

    @functools.wraps(checked)
    def wrapper(self, *args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            # The start page is where one lands anyway; any other page is remembered.
            next_url = None if request.path == "/" else request.url
            return redirect(self.appbuilder.get_url_for_login_with(next_url))
        return checked(self, *args, **kwargs)

    return wrapper
