"""PostgreSQL's search fold passes ASCII text through as it is

Revision ID: a4c7e1f9b3d2
Revises: f1b8d4e6a2c7
Create Date: 2026-12-07 19:10:00.000000

event_search_fold gives every text the same value as before; ASCII text, which has no
diacritic, ə or dotless i to fold, skips normalize(), the costliest step of indexing an event
(app.events.derived.search). The index needs no rebuilding. SQLite is unchanged.
"""

from collections.abc import Sequence

from alembic import op

from app.events.derived.search import FOLD_FUNCTION

revision: str = "a4c7e1f9b3d2"
down_revision: str | None = "f1b8d4e6a2c7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The fold as revision 95467b272597 made it.
_FOLD_BEFORE = """
    CREATE OR REPLACE FUNCTION event_search_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT regexp_replace(
            normalize(translate(value, 'Əə\u0131', 'aai'), NFD), '[\\u0300-\\u036f]', '', 'g')
    $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FOLD_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FOLD_BEFORE)
