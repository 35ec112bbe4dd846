"""event.document kept in its row on PostgreSQL, as written: no TOAST table, no decompression

Revision ID: 5b8e2d7c4a19
Revises: b8e2f4a6c1d3
Create Date: 2026-12-08 10:00:00.000000

PostgreSQL compresses a row's long values once the row passes 2 kB, and moves them to the
table's TOAST table if it is still too long: most stored documents (about 2 kB of JSON) were
compressed, and most of those moved. Reading a page of 50 events looked each document up in
the TOAST table's index and decompressed it: half of PostgreSQL's time for the page (0.35 ms
of 0.6 at 100,000 events). With toast_tuple_target at its largest, a row of up to a page
(8 kB) keeps its document in the row as written; longer documents are compressed as before.
The documents stored compressed are written again, to move them. SQLite stores documents in
their rows already (pages of 16 KiB): nothing changes there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b8e2d7c4a19"
down_revision: str | None = "b8e2f4a6c1d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE event SET (toast_tuple_target = 8160)")
    # A new value (`|| ''`): `SET document = document` would keep the stored, compressed one.
    # No trigger follows the document column.
    op.execute(
        "UPDATE event SET document = document || '' "
        "WHERE pg_column_size(document) < octet_length(document)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE event RESET (toast_tuple_target)")
