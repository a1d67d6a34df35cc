"""Scheduler: a job run's slot and time, the outbox's claims and first attempt

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scheduled_for", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("as_of", sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint("uq_job_run_slot", ["job", "scheduled_for"])
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_attempt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("first_attempt_at")
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_constraint("uq_job_run_slot", type_="unique")
        batch_op.drop_column("as_of")
        batch_op.drop_column("scheduled_for")
