"""The database handle, the declarative base and the unit of work.

Our models share Flask-AppBuilder's declarative ``Model`` base, so one metadata holds
FAB's security tables and ours, and one Alembic chain migrates both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask_appbuilder.models.sqla import Model
from flask_appbuilder.models.sqla.base import SQLA
from sqlalchemy.dialects.postgresql import JSONB

__all__ = ["db", "Model", "JSONType", "transactional", "is_postgresql", "schema_filter"]

db = SQLA(model_class=Model)

# JSONB on PostgreSQL (indexable, compact); plain JSON text on SQLite.
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")

F = TypeVar("F", bound=Callable[..., Any])


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def schema_filter(dialect_name: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for one database: leaves out the model's indexes that
    another database alone gets (``Index(...).ddl_if(dialect=...)``, e.g. PostgreSQL's
    trigram indexes), so that comparing the models with SQLite's schema finds no difference."""

    def include(obj: Any, _name: str | None, type_: str, reflected: bool, _compare_to: Any) -> bool:
        only = getattr(obj, "_ddl_if", None) if type_ == "index" and not reflected else None
        if only is None or only.dialect is None:
            return True
        dialects = (only.dialect,) if isinstance(only.dialect, str) else tuple(only.dialect)
        return dialect_name in dialects

    return include


def transactional(func: F) -> F:
    """Run a service function as one unit of work: commit once, roll back on any error.

    Nested calls join the outermost one, so a service may call another service and
    everything still commits together.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = db.session
        info = session.info
        if info.get("etjanst_tx_depth"):
            info["etjanst_tx_depth"] += 1
            try:
                return func(*args, **kwargs)
            finally:
                info["etjanst_tx_depth"] -= 1
        info["etjanst_tx_depth"] = 1
        try:
            result = func(*args, **kwargs)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise
        finally:
            info["etjanst_tx_depth"] = 0

    return wrapper  # type: ignore[return-value]
