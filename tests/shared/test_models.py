"""The schema: migrations and models agree, on whichever database the suite runs."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db import db, schema_filter
from tests import factories


# SQLite cannot reflect expression indexes; schema_filter leaves out those it never gets anyway.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_match_models(ctx):
    with db.engine.connect() as conn:
        migration_context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": schema_filter(conn.dialect.name)}
        )
        assert compare_metadata(migration_context, db.metadata) == []


def test_citizen_personnummer_is_validated_and_normalised(ctx):
    citizen = factories.citizen("19850709-9805")
    assert citizen.personnummer == "198507099805"
    assert citizen.personnummer_display == "19850709-9805"

    with pytest.raises(ValueError):
        factories.citizen("19850709-9806")


def test_standard_status_group_is_idempotent(ctx):
    from shared.services.statuses import ensure_standard_status_group

    first = ensure_standard_status_group()
    second = ensure_standard_status_group()
    assert first.id == second.id
    assert [s.name for s in second.statuses] == [
        "Sparat",
        "Inskickat",
        "Under behandling",
        "Väntar på komplettering",
        "Klart",
        "Arkiverat",
    ]
