"""search_text of actors and sources: what `q` compares, folded as the events' search folds

Revision ID: b7e4c2a9d1f0
Revises: 5c1d2e3f4a5b
Create Date: 2026-12-07 13:30:00.000000

`q` on /v1/actors and /v1/sources now ignores case, diacritics and Azerbaijani ə/a and the
dotless i, as `q` on events does. Each row stores its searchable text already folded
(app.core.text_match), written by the models on every insert and update; this fills it for
the rows that exist.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.text_match import search_text

revision: str = "b7e4c2a9d1f0"
down_revision: str | None = "5c1d2e3f4a5b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns as this revision knows them, whatever the models say later.
actor = sa.table(
    "actor",
    sa.column("id", sa.String),
    sa.column("name", sa.String),
    sa.column("aliases", sa.JSON),
    sa.column("search_text", sa.Text),
)
source = sa.table(
    "source",
    sa.column("id", sa.String),
    sa.column("title", sa.String),
    sa.column("publisher", sa.String),
    sa.column("author", sa.String),
    sa.column("search_text", sa.Text),
)


def upgrade() -> None:
    # A plain ADD COLUMN: a batch copy of `source` or `actor` would have to drop a table that
    # citations and event actors still reference.
    op.add_column("actor", sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.add_column("source", sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    bind = op.get_bind()
    actors = bind.execute(sa.select(actor.c.id, actor.c.name, actor.c.aliases)).all()
    if actors:
        bind.execute(
            actor.update().where(actor.c.id == sa.bindparam("key")),
            [
                {"key": id_, "search_text": search_text(name, *(aliases or []))}
                for id_, name, aliases in actors
            ],
        )
    sources = bind.execute(
        sa.select(source.c.id, source.c.title, source.c.publisher, source.c.author)
    ).all()
    if sources:
        bind.execute(
            source.update().where(source.c.id == sa.bindparam("key")),
            [
                {"key": id_, "search_text": search_text(title, publisher, author)}
                for id_, title, publisher, author in sources
            ],
        )


def downgrade() -> None:
    op.drop_column("source", "search_text")
    op.drop_column("actor", "search_text")
