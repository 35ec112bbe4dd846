"""Readable, URL-safe ids made from text."""

import re
from collections.abc import Set
from typing import Annotated

from pydantic import StringConstraints
from slugify import slugify
from sqlalchemy import String
from sqlmodel import Session, SQLModel

# What an id of an event, actor or source looks like: lower-case ASCII words and hyphens.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,199}")
Slug = Annotated[str, StringConstraints(pattern=f"^{SLUG.pattern}$")]

# text-unidecode drops the Azerbaijani schwa; spell it as Azerbaijani Latin does in ASCII.
_REPLACEMENTS = [["Ə", "E"], ["ə", "e"]]


def make_slug(*parts: str, max_length: int = 120) -> str:
    slug = slugify(
        " ".join(parts), max_length=max_length, word_boundary=True, replacements=_REPLACEMENTS
    )
    return slug or "item"


def free_id(
    session: Session, model: type[SQLModel], base: str, taken: Set[str] = frozenset()
) -> str:
    """`base`, or `base-2`, `base-3`…: the first id no row of `model` has yet, nor `taken`."""
    candidate, n = base, 1
    while candidate in taken or session.get(model, candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


# Ids sort byte-wise on PostgreSQL too, whatever the database's locale: cursors compare ids.
SlugColumn = String(200).with_variant(String(200, collation="C"), "postgresql")
