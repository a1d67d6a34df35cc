"""Test mode (Testa e-tjänsten, F-ES-4): a case row may be a builder's or handler's test run

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN with a default: SQLite needs no table copy (which would lose the partial indexes' WHERE).
    op.add_column("cases", sa.Column("is_test", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index(
        "ix_case_test_updated",
        "cases",
        ["updated_at"],
        unique=False,
        postgresql_where=sa.text("is_test"),
        sqlite_where=sa.text("is_test"),
    )


def downgrade():
    op.drop_index("ix_case_test_updated", table_name="cases")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("is_test")
