"""Group mailbox: who took over a forwarded applicant message, and when (F-GRP-3)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forward_taken_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("forward_taken_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            "fk_message_forward_taken_by_id_ab_user", "ab_user", ["forward_taken_by_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_constraint("fk_message_forward_taken_by_id_ab_user", type_="foreignkey")
        batch_op.drop_column("forward_taken_at")
        batch_op.drop_column("forward_taken_by_id")
