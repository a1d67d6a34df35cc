"""The scheduled jobs: one small function per job, each calling one service.

A job is registered with ``@job(name, trigger args)``; the scheduler runs it inside an
app context. The jobs themselves (dispatch, overdue, retention, mailing deadlines,
subtask reminders, absence expiry) are added by the notification and scheduler work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[..., Any]
    trigger: str
    trigger_args: dict[str, Any] = field(default_factory=dict)
    description: str = ""


JOBS: dict[str, JobSpec] = {}


def job(name: str, trigger: str = "interval", description: str = "", **trigger_args: Any):
    """Register a function as a scheduled job."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        JOBS[name] = JobSpec(name, func, trigger, trigger_args, description or (func.__doc__ or "").strip())
        return func

    return decorator
