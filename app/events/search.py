"""Full-text search of events: the web-search syntax users type, and what each database makes of it.

The search structures are made by hand in the migration `95467b272597` (full-text search), not
by the models, and kept in step with `event` and `citation` by triggers there:

- SQLite: the FTS5 table `event_search(title, summary, quotes)` (tokenizer `unicode61
  remove_diacritics 2`), one row per event, its rowid taken from `event_search_key(id, event_id)`.
- PostgreSQL: `event_search(event_id, document tsvector)` with a GIN index, in the `simple`
  configuration (no stemming, no stop words) so that English, Azerbaijani and Persian text are
  indexed alike.

Both fold Azerbaijani `ə` to `a` and the dotless i (U+0131) to `i`, so that `Əliyev`, `əliyev`
and `Aliyev` find each other (and Baku's Azerbaijani name is found in capitals), and drop
diacritics (`Şuşa` is `susa`): `fold` and `PUNCTUATION` below agree with the migration's SQL,
so that a query is read as the text was.

The user's text is parsed here once, into groups of terms; SQLite gets an FTS5 expression in
which every term is a quoted FTS5 string, PostgreSQL a canonical string for
`websearch_to_tsquery`; both are bound parameters, never SQL. Higher `rank` is more relevant on
both databases.
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Integer,
    Row,
    SQLColumnExpression,
    String,
    Subquery,
    bindparam,
    cast,
    column,
    false,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from app.events.derived.search import KEY_BITS, order_key

# The search table; every other search structure's name starts with it too (`include_name`).
SEARCH_TABLE = "event_search"

_FOLDED = {"Ə": "a", "ə": "a", "\u0131": "i"}  # U+0131: dotless i
_FOLD = str.maketrans(_FOLDED)

# What PostgreSQL's side reads as space in the text (the migration's event_search_words) and in
# the words of a query: its parser then sees words alone, as SQLite's unicode61 does, and no
# file path (Tehran/Baku), e-mail address, URL or signed number (the -30 of 2013-03-30) hides a
# word. ASCII punctuation, the General Punctuation block (dashes, curly quotes, zero-width
# joiners), guillemets, and the Arabic comma, semicolon and question mark.
PUNCTUATION = re.compile(
    r"[\u0021-\u002f\u003a-\u0040\u005b-\u0060\u007b-\u007e"
    r"\u2000-\u206f\u00ab\u00bb\u060c\u061b\u061f]+"
)


def fold(text: str) -> str:
    """ə and Ə as a, the dotless i as i: what the migration's SQLite triggers do to the text."""
    return text.translate(_FOLD)


# --- the user's syntax ------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """Terms that must all be there and terms that must not; a term is a word or a phrase."""

    required: tuple[str, ...]
    excluded: tuple[str, ...]


@dataclass(frozen=True)
class SearchQuery:
    """Events matching any of the groups; no groups (no words in the text) matches nothing."""

    groups: tuple[Group, ...]


def parse(text: str) -> SearchQuery:
    """Web-search syntax: words (all must match), "a phrase", -excluded, and `or` between terms.

    As PostgreSQL's websearch_to_tsquery reads it: `or` in any case, outside quotes, separates
    alternatives; an unclosed quote runs to the end; terms with no letter or digit (`*`, `(`,
    `--`) are dropped, since no database indexes them.
    """
    groups: list[Group] = []
    required: list[str] = []
    excluded: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end == -1 else end
            term, i, quoted = text[i + 1 : end], end + 1, True
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] != '"':
                end += 1
            term, i, quoted = text[i:end], end, False
        if not quoted and not negated and term.lower() == "or":
            if required or excluded:
                groups.append(Group(tuple(required), tuple(excluded)))
                required, excluded = [], []
            continue
        if any(char.isalnum() for char in term):
            (excluded if negated else required).append(" ".join(term.split()))
    if required or excluded:
        groups.append(Group(tuple(required), tuple(excluded)))
    return SearchQuery(tuple(groups))


def _fts5_string(term: str) -> str:
    """A term as an FTS5 string: never an operator, a column filter or a prefix query."""
    return '"' + fold(term).replace('"', '""') + '"'


def fts5_expression(groups: tuple[Group, ...]) -> str:
    """An FTS5 MATCH expression for groups that each have a required term."""
    parts = []
    for group in groups:
        expression = " AND ".join(_fts5_string(term) for term in group.required)
        if group.excluded:
            excluded = " OR ".join(_fts5_string(term) for term in group.excluded)
            expression = f"({expression}) NOT ({excluded})"
        parts.append(f"({expression})")
    return " OR ".join(parts)


def websearch_text(query: SearchQuery) -> str:
    """The query re-written for websearch_to_tsquery, every term quoted: parsed as SQLite's."""

    def quoted(term: str) -> str:
        words = PUNCTUATION.sub(" ", unicodedata.normalize("NFD", term)).strip()
        return f'"{words}"'

    return " OR ".join(
        " ".join([*map(quoted, group.required), *("-" + quoted(t) for t in group.excluded)])
        for group in query.groups
    )


# --- the dialects -----------------------------------------------------------------------

# SQLite. The FTS5 table's hidden column named after it is the left side of MATCH and the
# argument of bm25(); its rowid is the event's row in `event_search_key`.
_FTS = table(SEARCH_TABLE, column("rowid", Integer), column(SEARCH_TABLE))
_KEY = table("event_search_key", column("id", Integer), column("event_id", String))
# bm25 weights of title, summary and quotes: a word in the title counts most.
_BM25_WEIGHTS = (4.0, 2.0, 1.0)

# PostgreSQL.
_DOCUMENT = table(SEARCH_TABLE, column("event_id", String), column("document"))


def search_hits(dialect: str, query: SearchQuery) -> Subquery:
    """The matching events and their rank, higher is better: columns `event_id` and `rank`."""
    if not query.groups:
        nothing = select(literal(None, String).label("event_id"), literal(0.0, Float).label("rank"))
        return nothing.where(false()).subquery()
    if dialect == "postgresql":
        return _postgresql_hits(query)
    if dialect == "sqlite":
        return _sqlite_hits(query)
    raise NotImplementedError(f"no full-text search for {dialect}")


def _postgresql_hits(query: SearchQuery) -> Subquery:
    # The same fold as the indexed text (event_search_fold, made by the migration); the
    # punctuation is gone from the words already, but not the quotes and minus signs around.
    tsquery = func.websearch_to_tsquery(
        literal_column("'simple'"),
        func.event_search_fold(bindparam(None, websearch_text(query), String)),
    )
    rank = cast(func.ts_rank(_DOCUMENT.c.document, tsquery), Float)
    return (
        select(_DOCUMENT.c.event_id, rank.label("rank"))
        .where(_DOCUMENT.c.document.op("@@", return_type=Boolean)(tsquery))
        .subquery()
    )


def _sqlite_hits(query: SearchQuery) -> Subquery:
    matches = _FTS.c[SEARCH_TABLE].op("MATCH", return_type=Boolean)
    positive = tuple(group for group in query.groups if group.required)
    parts = []
    if positive:
        bm25 = func.bm25(_FTS.c[SEARCH_TABLE], *(literal(w, Float) for w in _BM25_WEIGHTS))
        parts.append(
            select(_KEY.c.event_id, type_coerce(-bm25, Float).label("rank"))
            .select_from(_FTS.join(_KEY, _KEY.c.id == _FTS.c.rowid))
            .where(matches(bindparam(None, fts5_expression(positive), String)))
        )
    # An FTS5 expression can't start with NOT: a group of exclusions alone is every event
    # but those matching any of them, ranked below every positive match.
    for group in query.groups:
        if group.required:
            continue
        excluded = " OR ".join(_fts5_string(term) for term in group.excluded)
        parts.append(
            select(_KEY.c.event_id, literal(0.0, Float).label("rank")).where(
                _KEY.c.id.not_in(
                    select(_FTS.c.rowid).where(matches(bindparam(None, excluded, String)))
                )
            )
        )
    if len(parts) == 1:
        return parts[0].subquery()
    every = union_all(*parts).subquery()
    return (
        select(every.c.event_id, func.max(every.c.rank).label("rank"))
        .group_by(every.c.event_id)
        .subquery()
    )


class _Matches(ColumnElement[bool]):
    """`event_id` is the id of an event that matches `search`, in the SQL of the dialect at hand."""

    type = Boolean()
    inherit_cache = False  # the SQL depends on the query's shape: compile it each time
    _is_implicitly_boolean = True  # a predicate (IN): no "= 1" after it where booleans are ints

    def __init__(self, event_id: SQLColumnExpression[str], search: SearchQuery, walk: bool) -> None:
        self.event_id = event_id
        self.search = search
        self.walk = walk


@compiles(_Matches)
def _compile_matches(element: _Matches, compiler: SQLCompiler, **kw: Any) -> str:
    hits = search_hits(compiler.dialect.name, element.search)
    condition = compiler.process(element.event_id.in_(select(hits.c.event_id)), **kw)
    if element.walk and compiler.dialect.name == "sqlite":
        # `+id IN (…)`: SQLite then can't look the matches up by id, and walks the index of
        # the order instead, testing each event against the matches (see frequent()).
        return "+" + condition
    return condition


def matches(
    event_id: SQLColumnExpression[str], search: SearchQuery, *, walk: bool = False
) -> ColumnElement[bool]:
    """A condition: the event whose id is `event_id` matches the parsed `search`.

    `walk`: the matches are many (frequent() says so): on SQLite, let the query walk the
    events in its order and keep the matches, rather than look every match up and sort them.
    """
    return _Matches(event_id, search, walk)


def frequent(connection: Connection, search: SearchQuery, page: int) -> bool:
    """Whether a page of this search's matches, in an order an index gives, is found sooner by
    walking the events in that order and keeping the matches than by sorting all of them.

    Walking reads about page * events / matches events; sorting, every match: walk when the
    matches are more than sqrt(page * events). Counted up to that bound only, so a rare term
    costs little to rule out. SQLite only: PostgreSQL's planner weighs this itself.
    """
    if connection.dialect.name != "sqlite":
        return False
    # About the number of events: event's rowids only grow (its last, not a count of them all).
    events = connection.execute(text("SELECT max(rowid) FROM event")).scalar() or 0
    bound = math.isqrt(page * events)
    if bound == 0:
        return False
    hits = search_hits("sqlite", search)
    some = select(hits.c.event_id).limit(bound).subquery()
    counted: int = connection.execute(select(func.count()).select_from(some)).scalar_one()
    return counted >= bound


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's include_name hook: autogenerate skips the search tables the migration made."""
    if type_ == "table" and name is not None:
        return not (name == SEARCH_TABLE or name.startswith(SEARCH_TABLE + "_"))
    return True


# --- SQLite: matches in the order of events ------------------------------------------------

# The keys of event_search follow the documented order of events, day and precision first
# (app.events.derived.search): FTS5 reads a term's matches in key order and stops at LIMIT.
# Within one day and precision the keys follow insertion, not ids: a reader orders those.
KEY_SPAN = 1 << KEY_BITS  # the keys of one day and precision
ALL_KEYS = (0, 1 << 62)

_IN_KEY_ORDER = """
    SELECT e.document, e.date_lower, e.date_precision, e.id, f.rowid AS key
      FROM event_search AS f
      JOIN event_search_key AS k ON k.id = f.rowid
      JOIN event AS e ON e.id = k.event_id
     WHERE event_search MATCH :match AND f.rowid BETWEEN :low AND :high
       AND e.deleted_at IS NULL
     ORDER BY f.rowid {direction} LIMIT :limit"""
_ASCENDING, _DESCENDING = (text(_IN_KEY_ORDER.format(direction=d)) for d in ("ASC", "DESC"))
_LOWEST_KEY = text(f"SELECT {order_key(':lower', ':precision')}")


def orders_by_key(dialect: str, query: SearchQuery) -> bool:
    """Whether the matches of `query` can be read in the order of events (SQLite, and a query
    whose every group has a term to find: one FTS5 expression)."""
    return dialect == "sqlite" and bool(query.groups) and all(g.required for g in query.groups)


def lowest_key(connection: Connection, lower: str, precision: str) -> int:
    """The lowest key of a day (YYYY-MM-DD) and precision."""
    key: int = connection.execute(
        _LOWEST_KEY, {"lower": lower, "precision": precision}
    ).scalar_one()
    return key


def in_key_order(
    connection: Connection,
    query: SearchQuery,
    keys: tuple[int, int],
    *,
    descending: bool,
    limit: int = -1,
) -> list[Row[Any]]:
    """The live matches of `query` with keys between keys[0] and keys[1], in key order (at
    most `limit`, -1 for all): rows of (document, date_lower, date_precision, id, key)."""
    statement = _DESCENDING if descending else _ASCENDING
    bound = {"match": fts5_expression(query.groups), "low": keys[0], "high": keys[1]}
    return list(connection.execute(statement, bound | {"limit": limit}))
