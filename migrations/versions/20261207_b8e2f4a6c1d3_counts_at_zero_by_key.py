"""The vocabulary and usage triggers delete a count at zero by its key

Revision ID: b8e2f4a6c1d3
Revises: 3c9a7e5d1b42
Create Date: 2026-12-07 22:30:00.000000

Each row trigger of vocabulary_count and usage_count deleted the counts it had taken to zero
by looking through every count of their kind (app.events.derived.counts.take): as many rows
as there are sources, for each citation deleted. Replacing the citations of thousands of
stored events (a GDELT file that adds articles to the events of the files before it) took
minutes per batch. They now look up the counts they took, by key. What they leave is the
same, so the downgrade keeps them.
"""

from collections.abc import Sequence

from alembic import op

from app.events.derived import counts, usage

revision: str = "b8e2f4a6c1d3"
down_revision: str | None = "3c9a7e5d1b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for module in (counts, usage):
        if op.get_bind().dialect.name == "sqlite":
            for name, statement in module.SQLITE_TRIGGERS.items():
                op.execute(f"DROP TRIGGER {name}")
                op.execute(statement)
        else:  # the triggers call these functions, replaced in place
            for statement in module.POSTGRESQL_UPGRADE:
                if statement.lstrip().startswith("CREATE FUNCTION"):
                    op.execute(statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))


def downgrade() -> None:
    pass
