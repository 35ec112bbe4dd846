"""How every list's `q` compares names: case, diacritics and Azerbaijani letters don't matter.

The same rule as the events' full-text search (app.core.fulltext): `Əliyev`, `əliyev`,
`Aliyev` and `ALIYEV` are one name, `İlham` is `ilham`, `Şuşa` is `susa`. Actors and sources
store their searchable text already folded (`search_text`, written with every insert and
update), so a search is one LIKE on one column, alike on SQLite and PostgreSQL.
"""

import unicodedata
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Mapped

# After lower(): ə (Ə lowers to it) is a, the dotless i (U+0131) is i; İ lowers to i plus
# a combining dot, which goes with the other marks.
_FOLD = str.maketrans({"ə": "a", "\u0131": "i"})


def folded(text: str) -> str:
    """`text` in lower case, without diacritics, ə as a and the dotless i as i."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)


def search_text(*texts: str | None) -> str:
    """What a `q` searches, folded: the texts given, one per line."""
    return "\n".join(folded(text) for text in texts if text)


def contains_folded(column: ColumnElement[Any] | Mapped[Any], q: str) -> ColumnElement[bool]:
    """A stored search_text `column` contains `q`, folded; `%` and `_` in `q` are literal."""
    return column.contains(folded(q), autoescape=True)
