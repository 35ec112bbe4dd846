"""vocabulary_count: live events per country, tag and type, kept by triggers

Revision ID: d2f6a1c8e4b3
Revises: c5e8d2a7b9f1
Create Date: 2026-12-07 15:15:00.000000

`GET /v1/countries`, `/v1/tags` and `/v1/event-types` read these counts instead of counting
every event at each request (app.events.derived.counts). The triggers come before the fill:
on PostgreSQL, creating them locks writers out until this transaction ends.

NOTE for later migrations on SQLite: a batch ("move and copy") alteration of event,
event_country or event_tag drops that table's triggers; create them again (SQLITE_TRIGGERS of
app.events.derived.counts) afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from app.events.derived.counts import (
    POSTGRESQL_DOWNGRADE,
    POSTGRESQL_UPGRADE,
    SQLITE_TRIGGERS,
    fill,
)

revision: str = "d2f6a1c8e4b3"
down_revision: str | None = "c5e8d2a7b9f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vocabulary_count",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_vocabulary_count")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        for statement in POSTGRESQL_UPGRADE:
            op.execute(statement)
    for statement in fill():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for statement in POSTGRESQL_DOWNGRADE:
            op.execute(statement)
    op.drop_table("vocabulary_count")
