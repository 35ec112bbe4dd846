"""A CSV row as an event record: the columns of the CSV export, read back.

The rule, for spreadsheets: **a CSV import changes only what its columns show.** A row whose
`id` is a stored event is applied to that event as it stands, column by column, and what a
cell cannot show is kept:

- a text, date, type or tone cell replaces that field (an empty cell clears it);
- `countries` and `tags` replace those lists;
- `actors` lists actor ids, each optionally `id:role`; an actor already on the event keeps
  its role(s) unless the cell names one, a new one takes part as `participant`;
- `source_urls` (and `source_ids`) can add citations (stance `supports`), never remove one:
  the citations an event has keep their stance, quote and locator. Links are never touched.
  To remove a citation or a link, PATCH the event or import JSON;
- an `external_id:<scheme>` column sets that id when its cell holds one;
- the columns that the server derives or keeps (`date_lower`, `date_upper`,
  `date_precision`, `status`, `actor_names`, `source_publishers`, `version`, `created_at`,
  `updated_at`) are ignored, so a spreadsheet need not recompute them.

Any other row is a new event, made from its columns alone. Text cells are read back through
csv_cells.un_neutralise: the `'` that the export puts before a formula-like text goes again.
"""

from dataclasses import dataclass
from typing import Any

from app.events.csv_cells import LIST_SEPARATOR, un_neutralise

# The event fields whose cells are text that the export may have neutralised.
_TEXT = ("title", "summary")
_SCALARS = ("id", "title", "summary", "date", "end_date", "type", "tone")
_LOCATION = ("name", "country", "lat", "lon")
EXTERNAL_ID = "external_id:"


@dataclass(frozen=True)
class Current:
    """A stored event as a writer sends it (writes.writable), and the URLs it cites."""

    record: dict[str, Any]
    cited_urls: frozenset[str]


@dataclass(frozen=True)
class CsvRow:
    """One CSV row's cells, by column name."""

    cells: dict[str, str]

    @property
    def id(self) -> str | None:
        return self.cells.get("id") or None

    def record(self, current: Current | None) -> dict[str, Any]:
        """The event record: `current` changed by this row's columns, or a new event."""
        cells = self.cells
        record = dict(current.record) if current else {}
        for name in _SCALARS:
            if name in cells:
                value = cells[name]
                record[name] = (un_neutralise(value) if name in _TEXT else value) or None
        if "countries" in cells:
            record["countries"] = _split(cells["countries"])
        if "tags" in cells:
            record["tags"] = _split(un_neutralise(cells["tags"]))
        if "actors" in cells:
            record["actors"] = _actors(_split(cells["actors"]), record.get("actors", []))
        if any(f"location_{part}" in cells for part in _LOCATION):
            location = dict(record.get("location") or {})
            for part in _LOCATION:
                if f"location_{part}" in cells:
                    value = cells[f"location_{part}"]
                    location[part] = (un_neutralise(value) if part == "name" else value) or None
            record["location"] = location if any(location.values()) else None
        record["citations"] = list(record.get("citations", [])) + self._new_citations(current)
        external_ids = {
            name.removeprefix(EXTERNAL_ID): value
            for name, value in cells.items()
            if name.startswith(EXTERNAL_ID) and value
        }
        record["external_ids"] = dict(record.get("external_ids", {})) | external_ids
        return record

    def _new_citations(self, current: Current | None) -> list[dict[str, Any]]:
        cited_ids = {c["source_id"] for c in current.record["citations"]} if current else set()
        cited_urls = current.cited_urls if current else frozenset()
        ids = [{"source_id": i} for i in _split(self.cells.get("source_ids")) if i not in cited_ids]
        urls = [{"source_url": u} for u in _split(self.cells.get("source_urls"))]
        return ids + [c for c in urls if c["source_url"] not in cited_urls]


def _actors(items: list[str], stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The actors a cell names (`id` or `id:role`), the stored roles kept where none is named."""
    named = [(actor_id, role) for actor_id, _, role in (item.partition(":") for item in items)]
    stored_ids = list(dict.fromkeys(actor["id"] for actor in stored))
    if not any(role for _, role in named) and [actor_id for actor_id, _ in named] == stored_ids:
        return stored  # the ids as exported: every role and its order stays
    roles: dict[str, list[str]] = {}
    for actor in stored:
        roles.setdefault(actor["id"], []).append(actor["role"])
    return [
        {"id": actor_id, "role": role}
        for actor_id, given in named
        for role in ([given] if given else roles.get(actor_id, ["participant"]))
    ]


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").split(LIST_SEPARATOR) if part.strip()]
