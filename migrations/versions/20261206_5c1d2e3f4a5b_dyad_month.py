"""dyad_month: a dyad's events counted by month and type, for its timelines

Revision ID: 5c1d2e3f4a5b
Revises: a9ce05751a72
Create Date: 2026-12-06 18:00:00.000000

A dyad's timeline by month or year with no other filter than the event type (the chart of a
pair's history) adds up these counts, at most one row per month and type, instead of reading
each of the pair's events (app.timeline.service).

Triggers on event_dyad keep it right in the writer's own transaction, whoever writes: a row
of event_dyad added adds one to its month and type, a row dropped takes one away (the row goes
at zero), an update does both. event_dyad's own triggers add and drop its rows as events and
their countries change, so these follow. The table is filled for the rows that exist already.

NOTE for later migrations on SQLite: a batch ("move and copy") alteration of event_dyad drops
these triggers; create them again (SQLITE_TRIGGERS below) afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5c1d2e3f4a5b"
down_revision: str | None = "a9ce05751a72"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "country_a, country_b, month, type"
# The first day of the month of a row's date_lower (`{0}` is new, old or a table alias).
MONTH = {
    "sqlite": "date({0}.date_lower, 'start of month')",
    "postgresql": "CAST(date_trunc('month', {0}.date_lower) AS date)",
}


def _key_is(dialect: str, row: str) -> str:
    return (
        f"country_a = {row}.country_a AND country_b = {row}.country_b"
        f" AND month = {MONTH[dialect].format(row)} AND type = {row}.type"
    )


def _add(dialect: str, row: str, sign: str) -> str:
    """Add (sign +) or take away (sign -) the event_dyad row `row` in its month and type."""
    return f"""
        UPDATE dyad_month
           SET events = events {sign} 1,
               tone_sum = tone_sum {sign} coalesce({row}.tone, 0),
               tone_count = tone_count {sign} CASE WHEN {row}.tone IS NULL THEN 0 ELSE 1 END,
               year_precision = year_precision
                   {sign} CASE WHEN {row}.date_precision = 'year' THEN 1 ELSE 0 END
         WHERE {_key_is(dialect, row)}"""


def _ensure(dialect: str) -> str:
    """The month and type of the row `new`, with zero counts, if not there already."""
    ignore = "OR IGNORE " if dialect == "sqlite" else ""
    conflict = "" if dialect == "sqlite" else " ON CONFLICT DO NOTHING"
    return f"""
        INSERT {ignore}INTO dyad_month ({KEY}, events, tone_sum, tone_count, year_precision)
        VALUES (new.country_a, new.country_b, {MONTH[dialect].format("new")}, new.type,
                0, 0, 0, 0){conflict}"""


def _drop_empty(dialect: str) -> str:
    return f"DELETE FROM dyad_month WHERE {_key_is(dialect, 'old')} AND events = 0"


def _fill(dialect: str) -> str:
    month = MONTH[dialect].format("d")
    return f"""
        INSERT INTO dyad_month ({KEY}, events, tone_sum, tone_count, year_precision)
        SELECT d.country_a, d.country_b, {month}, d.type, count(*),
               coalesce(sum(d.tone), 0), count(d.tone),
               sum(CASE WHEN d.date_precision = 'year' THEN 1 ELSE 0 END)
          FROM event_dyad AS d
         GROUP BY d.country_a, d.country_b, {month}, d.type"""


SQLITE_TRIGGERS = {
    "dyad_month_insert": f"""
        CREATE TRIGGER dyad_month_insert AFTER INSERT ON event_dyad BEGIN
            {_ensure("sqlite")};
            {_add("sqlite", "new", "+")};
        END""",
    "dyad_month_delete": f"""
        CREATE TRIGGER dyad_month_delete AFTER DELETE ON event_dyad BEGIN
            {_add("sqlite", "old", "-")};
            {_drop_empty("sqlite")};
        END""",
    "dyad_month_update": f"""
        CREATE TRIGGER dyad_month_update AFTER UPDATE ON event_dyad BEGIN
            {_add("sqlite", "old", "-")};
            {_drop_empty("sqlite")};
            {_ensure("sqlite")};
            {_add("sqlite", "new", "+")};
        END""",
}

POSTGRESQL_UPGRADE = [
    f"""
    CREATE FUNCTION dyad_month_on_event_dyad() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            {_add("postgresql", "old", "-")};
            {_drop_empty("postgresql")};
        END IF;
        IF TG_OP <> 'DELETE' THEN
            {_ensure("postgresql")};
            {_add("postgresql", "new", "+")};
        END IF;
        RETURN NULL;
    END
    $$""",
    """
    CREATE TRIGGER dyad_month AFTER INSERT OR DELETE OR UPDATE ON event_dyad
    FOR EACH ROW EXECUTE FUNCTION dyad_month_on_event_dyad()""",
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER dyad_month ON event_dyad",
    "DROP FUNCTION dyad_month_on_event_dyad()",
]


def upgrade() -> None:
    op.create_table(
        "dyad_month",
        sa.Column("country_a", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("country_b", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("tone_sum", sa.Float(), nullable=False),
        sa.Column("tone_count", sa.Integer(), nullable=False),
        sa.Column("year_precision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "country_a", "country_b", "month", "type", name=op.f("pk_dyad_month")
        ),
        sqlite_with_rowid=False,
    )
    # The triggers before the rows: on PostgreSQL, creating them locks writers out until this
    # transaction ends, so no row written meanwhile escapes both the fill and the triggers.
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        for statement in POSTGRESQL_UPGRADE:
            op.execute(statement)
    op.execute(_fill(dialect))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for statement in POSTGRESQL_DOWNGRADE:
            op.execute(statement)
    op.drop_table("dyad_month")
