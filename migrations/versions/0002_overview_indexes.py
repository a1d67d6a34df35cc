"""Indexes for the case overview at a million cases (benchmarks/overview.py)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_case_submitted", "cases", ["submitted_at", "id"])
    op.create_index(
        "ix_case_visible_eservice",
        "cases",
        ["eservice_id"],
        postgresql_where=sa.text("number IS NOT NULL"),
        sqlite_where=sa.text("number IS NOT NULL"),
    )
    op.create_index(
        "ix_case_open",
        "cases",
        ["eservice_id", "assigned", "due_at"],
        postgresql_include=["due_paused_at", "id"],
        postgresql_where=sa.text("number IS NOT NULL AND closed_at IS NULL"),
        sqlite_where=sa.text("number IS NOT NULL AND closed_at IS NULL"),
    )
    # The composite indexes serve every query the single-column ones did.
    op.drop_index("ix_case_handler_user_id", table_name="case_handler")
    op.drop_index("ix_case_handler_group_id", table_name="case_handler")
    op.create_index("ix_case_handler_user_case", "case_handler", ["user_id", "case_id"])
    op.create_index("ix_case_handler_group_case", "case_handler", ["group_id", "case_id"])


def downgrade():
    op.drop_index("ix_case_handler_group_case", table_name="case_handler")
    op.drop_index("ix_case_handler_user_case", table_name="case_handler")
    op.create_index("ix_case_handler_group_id", "case_handler", ["group_id"])
    op.create_index("ix_case_handler_user_id", "case_handler", ["user_id"])
    op.drop_index("ix_case_open", table_name="cases")
    op.drop_index("ix_case_visible_eservice", table_name="cases")
    op.drop_index("ix_case_submitted", table_name="cases")
