"""Readable, URL-safe ids made from text."""

from slugify import slugify

# text-unidecode drops the Azerbaijani schwa; spell it as Azerbaijani Latin does in ASCII.
_REPLACEMENTS = [["Ə", "E"], ["ə", "e"]]


def make_slug(*parts: str, max_length: int = 120) -> str:
    slug = slugify(
        " ".join(parts), max_length=max_length, word_boundary=True, replacements=_REPLACEMENTS
    )
    return slug or "item"
