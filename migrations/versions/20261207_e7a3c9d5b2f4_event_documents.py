"""event.document: each event's public form, stored by every write; revisions not twice

Revision ID: e7a3c9d5b2f4
Revises: 7a3e9c1b5d20
Create Date: 2026-12-07 16:20:00.000000

Reads send the stored JSON as it is (app.events.public). The column is filled here for the
events already stored, with the same builder every write uses. An event's newest revision
then holds no data of its own: it is the document, without linked_from, and the history
reads both through the view revision_written (app.events.derived.views). Where a newest
revision differs from the document (an actor or a source edited since it was written), it
keeps its data.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

from app.events.derived.views import REVISION_VIEW

revision: str = "e7a3c9d5b2f4"
down_revision: str | None = "7a3e9c1b5d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEWEST = "SELECT max(id) FROM revision GROUP BY event_id"


def upgrade() -> None:
    from app.events.public import store_documents

    connection = op.get_bind()
    dialect = connection.dialect.name
    # A plain ADD COLUMN: on SQLite a batch alteration would drop the event table's triggers.
    op.add_column("event", sa.Column("document", sa.Text(), nullable=True))
    ids = connection.execute(sa.text("SELECT id FROM event")).scalars().all()
    with Session(bind=connection) as session:
        store_documents(session, ids, only_document=True)  # event.csv_tail comes later
    with op.batch_alter_table("revision") as batch:
        batch.alter_column("data", existing_type=sa.JSON(), nullable=True)
    op.execute(REVISION_VIEW[dialect])
    same = (
        "json(r.data) = json_remove(e.document, '$.linked_from')"
        if dialect == "sqlite"
        else "r.data::jsonb = e.document::jsonb - 'linked_from'"
    )
    op.execute(
        f"UPDATE revision SET data = NULL WHERE id IN (SELECT r.id FROM revision AS r"
        f" JOIN event AS e ON e.id = r.event_id WHERE r.id IN ({_NEWEST}) AND {same})"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE revision SET data = (SELECT w.data FROM revision_written AS w"
        " WHERE w.id = revision.id) WHERE data IS NULL"
    )
    op.execute("DROP VIEW revision_written")
    with op.batch_alter_table("revision") as batch:
        batch.alter_column("data", existing_type=sa.JSON(), nullable=False)
    op.execute("ALTER TABLE event DROP COLUMN document")  # SQLite 3.35 and later, PostgreSQL
