"""Column helpers shared by the model modules."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared import clock


class StrEnum(enum.StrEnum):
    """An enum stored as its string value (VARCHAR), readable in SQL and portable."""


def created_at_column() -> Mapped[dt.datetime]:
    return mapped_column(sa.DateTime, default=clock.now, nullable=False)


def enum_column(enum_cls: type[StrEnum], *, default: StrEnum | None = None, nullable: bool = False, index: bool = False):
    length = max(len(member.value) for member in enum_cls)
    return mapped_column(
        sa.Enum(
            enum_cls,
            native_enum=False,
            create_constraint=False,
            length=max(length, 20),
            values_callable=lambda members: [m.value for m in members],
            validate_strings=True,
        ),
        default=default,
        nullable=nullable,
        index=index,
    )


def user_fk(*, nullable: bool = True, ondelete: str = "SET NULL", index: bool = False):
    return mapped_column(sa.ForeignKey("ab_user.id", ondelete=ondelete), nullable=nullable, index=index)
