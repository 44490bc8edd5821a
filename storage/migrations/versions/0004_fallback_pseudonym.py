"""unanswered questions carry the person's pseudonym, so /forget erases them too

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fallback_messages") as batch:
        batch.add_column(sa.Column("pseudonym", sa.String(64), nullable=True))
        batch.create_index("ix_fallback_messages_pseudonym", ["pseudonym"])


def downgrade() -> None:
    with op.batch_alter_table("fallback_messages") as batch:
        batch.drop_index("ix_fallback_messages_pseudonym")
        batch.drop_column("pseudonym")
