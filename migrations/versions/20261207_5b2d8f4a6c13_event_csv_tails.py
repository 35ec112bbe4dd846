"""event.csv_tail: the middle of each event's CSV line, stored by every write beside its document

Revision ID: 5b2d8f4a6c13
Revises: 5b8e2d7c4a19
Create Date: 2026-12-07 22:00:00.000000

The CSV export built every cell of every event from its document, in Python: most of its
time. Every write now stores, with the document, the line's cells from `date` to `version`
(app.events.csv_cells), and the export writes each line from its id, title and summary
columns, those cells and its times. The column is filled here from the documents already
stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b2d8f4a6c13"
down_revision: str | None = "5b8e2d7c4a19"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000
_EVENT = sa.table(
    "event", sa.column("id", sa.String), sa.column("document", sa.Text), sa.column("csv_tail")
)


def upgrade() -> None:
    from app.events.csv_cells import csv_tail

    connection = op.get_bind()
    # A plain ADD COLUMN: on SQLite a batch alteration would drop the event table's triggers.
    op.add_column("event", sa.Column("csv_tail", sa.Text(), nullable=True))
    read = (
        sa.select(_EVENT.c.id, _EVENT.c.document)
        .where(_EVENT.c.id > sa.bindparam("after"), _EVENT.c.document.is_not(None))
        .order_by(_EVENT.c.id)
        .limit(_BATCH)
    )
    write = (
        sa.update(_EVENT)
        .where(_EVENT.c.id == sa.bindparam("event"))
        .values(csv_tail=sa.bindparam("tail"))
    )
    after = ""
    while rows := connection.execute(read, {"after": after}).all():
        connection.execute(write, [{"event": i, "tail": csv_tail(d)} for i, d in rows])
        after = rows[-1].id


def downgrade() -> None:
    op.execute("ALTER TABLE event DROP COLUMN csv_tail")  # SQLite 3.35 and later, PostgreSQL
