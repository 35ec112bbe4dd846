"""versions of actors and sources

Revision ID: 8d601f3c36c5
Revises: 95467b272597
Create Date: 2026-11-28 05:22:43.235720
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d601f3c36c5"
down_revision: str | None = "95467b272597"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("actor", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))

    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of `source` would have to drop
    # a table that citations still reference.
    op.drop_column("source", "version")
    op.drop_column("actor", "version")
