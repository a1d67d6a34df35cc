"""Citizens (invånare) who log in to the portal with e-ID."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from personnummer import personnummer as pnr_lib
from sqlalchemy.orm import Mapped, mapped_column, validates

from shared.db import Model
from shared.models.base import created_at_column


def normalize_personnummer(value: str) -> str:
    """The canonical 12-digit form (YYYYMMDDNNNN) of a valid personnummer; ValueError if invalid."""
    try:
        parsed = pnr_lib.Personnummer(str(value).strip())
    except pnr_lib.PersonnummerException as exc:
        raise ValueError(f"invalid personnummer: {value!r}") from exc
    return parsed.format(long_format=True)


class Citizen(Model):
    __tablename__ = "citizen"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored as 12 digits without separator so that any typed form finds it.
    personnummer: Mapped[str] = mapped_column(sa.String(12), unique=True, nullable=False)
    first_name: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    last_name: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    email: Mapped[str | None] = mapped_column(sa.String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    notify_by_email: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    notify_by_sms: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()
    last_login_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    @validates("personnummer")
    def _validate_personnummer(self, _key: str, value: str) -> str:
        return normalize_personnummer(value)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def personnummer_display(self) -> str:
        return f"{self.personnummer[:8]}-{self.personnummer[8:]}"

    def __str__(self) -> str:
        return self.full_name or self.personnummer_display
