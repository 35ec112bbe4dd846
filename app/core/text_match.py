"""How every list's `q` compares names: case, diacritics and Azerbaijani letters don't matter.

The same rule as the events' full-text search (app.events.search): `Əliyev`, `əliyev`,
`Aliyev` and `ALIYEV` are one name, `İlham` is `ilham`, `Şuşa` is `susa`. Actors and sources
store their searchable text already folded (`search_text`, written with every insert and
update), so a search is one LIKE on one column, alike on SQLite and PostgreSQL.
"""

import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints
from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import Mapped

# After lower(): ə (Ə lowers to it) is a, the dotless i (U+0131) is i; İ lowers to i plus
# a combining dot, which goes with the other marks.
_FOLD = str.maketrans({"ə": "a", "\u0131": "i"})


def folded(text: str) -> str:
    """`text` in lower case, without diacritics, ə as a and the dotless i as i."""
    lowered = text.lower()
    if lowered.isascii():  # nothing to decompose or fold: most names, and fast
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)


def search_text(*texts: str | None) -> str:
    """What a `q` searches, folded: the texts given, one per line."""
    return "\n".join(folded(text) for text in texts if text)


def contains_folded(column: ColumnElement[Any] | Mapped[Any], q: str) -> ColumnElement[bool]:
    """A stored search_text `column` contains `q`, folded; `%` and `_` in `q` are literal."""
    return column.contains(folded(q), autoescape=True)


def equals_text(column: ColumnElement[Any] | Mapped[Any], value: str) -> ColumnElement[bool]:
    """`column` equals `value`, ignoring case (SQLite's lower() folds ASCII letters only)."""
    return func.lower(column).in_(case_variants(value))


def case_variants(text: str) -> list[str]:
    """`text` as SQLite's lower() can leave a stored text: ASCII lower, the rest in any case."""
    # Other letters lower, capital at each word's start, all capital, or as the user typed
    # them: what names take. A stored "ƏLİ bəy" (capitals and not, in one name) is the case
    # this misses, on SQLite only.
    lowered = "".join(_lower(char) for char in text)
    word_start = "".join(
        _upper(char) if index == 0 or not lowered[index - 1].isalnum() else char
        for index, char in enumerate(lowered)
    )
    upper = "".join(_upper(char) for char in lowered)
    as_given = "".join(char.lower() if char.isascii() else char for char in text)
    return list(dict.fromkeys([lowered, word_start, upper, as_given]))


def _lower(char: str) -> str:
    # Python lowers İ to i + a combining dot; databases (and Azerbaijani) to plain i.
    return "i" if char == "İ" else char.lower()


def _upper(char: str) -> str:
    """The capital of `char` that SQLite's lower() keeps: none for ASCII letters but i."""
    # SQLite lowers ASCII capitals itself; the Azerbaijani capital of i, İ, is not ASCII.
    if char == "i":
        return "İ"
    upper = char.upper()
    return upper if len(upper) == 1 and not upper.isascii() and not char.isascii() else char


# The longest `q` accepted: a search box, not a document.
MAX_QUERY_LENGTH = 200


def _search_text(value: object) -> object:
    """Trim `q`; an empty one (a cleared search box) means no filter."""
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value.strip() or None


# The `q` of every list: trimmed, at most MAX_QUERY_LENGTH characters, no NUL; empty is None.
SearchText = Annotated[
    Annotated[str, StringConstraints(max_length=MAX_QUERY_LENGTH)] | None,
    BeforeValidator(_search_text),
]
