"""The overview at a million cases under load (issue 9): trigram indexes for the free-text
search on PostgreSQL, and the status sort from an index

Searching a name or an answer's text (ILIKE '%…%') read every case the handler may see:
about half a second at 100,000 visible cases. GIN trigram indexes (the pg_trgm
extension, shipped with PostgreSQL and trusted since version 13: the database's owner may
create it) answer it from the index. SQLite keeps reading the cases: nothing to do there.

The indexes are built CONCURRENTLY, so an upgrade does not stop submissions meanwhile
(about a minute at a million cases). When the extension cannot be created (a role without
the CREATE privilege on the database), the upgrade says so and goes on without the
indexes: the search still works, only slower. A superuser can then run
`CREATE EXTENSION pg_trgm` and the CREATE INDEX statements below by hand.

ix_case_submitted (submission date, id) also carries, on PostgreSQL, the columns the
tabs and the access check read, so that paging through a tab does not read the cases.

Two expression indexes let the sort by applicant read a page in order instead of sorting
every visible case (PostgreSQL only, as SQLite installations are small).

ix_case_visible_status (e-service, status, id of the submitted cases) replaces
ix_case_visible_eservice: it still answers the Alla count from the index alone, and it also
gives the page of case ids sorted by status without reading the cases.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = ("applicant_name", "contact_name", "search_text")
# The sort by applicant, empty names last both ways (an index read backwards would put them first).
# ix_case_submitted carries these (PostgreSQL): a page of Alla, Pågående, Obehandlade or
# Förfallna, page 20 too, is found from the index alone.
SUBMITTED_INCLUDES = ("eservice_id", "number", "closed_at", "assigned", "due_at", "due_paused_at")
APPLICANT_SORTS = {"ix_case_applicant_sort_asc": "ASC", "ix_case_applicant_sort_desc": "DESC"}
log = logging.getLogger("alembic.runtime.migration")


def _trigrams_available(bind) -> bool:
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
        return True
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as error:
        log.warning(
            "pg_trgm could not be created (%s): the overview's free-text search works without "
            "its indexes, but reads every visible case. Ask a superuser to run "
            "'CREATE EXTENSION pg_trgm' in this database, then the CREATE INDEX statements "
            "of migrations/versions/0006_search_indexes.py.",
            error.orig.__class__.__name__ if error.orig is not None else error,
        )
        return False
    return True


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.create_index(
            "ix_case_visible_status",
            "cases",
            ["eservice_id", "status_id", "id"],
            sqlite_where=sa.text("number IS NOT NULL"),
        )
        op.drop_index("ix_case_visible_eservice", table_name="cases")
        return
    with op.get_context().autocommit_block():
        op.get_bind().execute(
            sa.text(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_case_visible_status "
                "ON cases (eservice_id, status_id, id) WHERE number IS NOT NULL"
            )
        )
        op.get_bind().execute(sa.text("DROP INDEX CONCURRENTLY IF EXISTS ix_case_visible_eservice"))
        # ix_case_submitted again, carrying the tabs' columns: made beside the old one, then swapped.
        op.get_bind().execute(
            sa.text(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_case_submitted_0006 ON cases (submitted_at, id) "
                f"INCLUDE ({', '.join(SUBMITTED_INCLUDES)})"
            )
        )
        op.get_bind().execute(sa.text("DROP INDEX CONCURRENTLY IF EXISTS ix_case_submitted"))
        op.get_bind().execute(sa.text("ALTER INDEX ix_case_submitted_0006 RENAME TO ix_case_submitted"))
        for name, direction in APPLICANT_SORTS.items():
            op.get_bind().execute(
                sa.text(
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON cases "
                    f"(coalesce(applicant_name, contact_name) {direction} NULLS LAST, id {direction}) "
                    "WHERE number IS NOT NULL"
                )
            )
        bind = op.get_bind()
        if not _trigrams_available(bind):
            return
        for column in COLUMNS:
            bind.execute(
                sa.text(
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_case_{column}_trgm "
                    f"ON cases USING gin ({column} gin_trgm_ops)"
                )
            )


def downgrade():
    op.create_index(
        "ix_case_visible_eservice",
        "cases",
        ["eservice_id"],
        postgresql_where=sa.text("number IS NOT NULL"),
        sqlite_where=sa.text("number IS NOT NULL"),
    )
    op.drop_index("ix_case_visible_status", table_name="cases")
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.get_bind().execute(
            sa.text("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_case_submitted_0005 ON cases (submitted_at, id)")
        )
        op.get_bind().execute(sa.text("DROP INDEX CONCURRENTLY IF EXISTS ix_case_submitted"))
        op.get_bind().execute(sa.text("ALTER INDEX ix_case_submitted_0005 RENAME TO ix_case_submitted"))
        for name in APPLICANT_SORTS:
            op.get_bind().execute(sa.text(f"DROP INDEX CONCURRENTLY IF EXISTS {name}"))
        for column in COLUMNS:
            op.get_bind().execute(sa.text(f"DROP INDEX CONCURRENTLY IF EXISTS ix_case_{column}_trgm"))
