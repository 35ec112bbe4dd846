"""How a dataset's row meets the event it reports: rows of one real event merged, and a
row of a stored event turned into the record that updates it.

GDELT and POLECAT report one real event many times: their rows with the same day,
countries, type and actors share an event id (app.datasets.rows.group_id). In one batch
they become one record (`merged`); a later row of a stored event only adds the sources it
cites (app.datasets.service gathers those). Other datasets' rows rewrite what the dataset
gives and keep what was added since (`with_additions`).
"""

from collections.abc import Callable, Iterator
from typing import Any

from app.datasets.rows import STAMP, Row
from app.events.models import MAX_CITATIONS
from app.events.public import EventDict
from app.events.writes import writable
from app.sources.models import normalise_url


def merged(batch: list[Row], full: Callable[[int, str], None]) -> list[Row]:
    """Rows of one event (the same id) as one row: the first, with the others' citations
    and actors added; `full(line, event id)` is told of each source a row cites that its
    event, holding MAX_CITATIONS, has no room for."""
    events: dict[str, Row] = {}
    for row in batch:
        first = events.setdefault(row.body["id"], row)
        if first is not row:
            for _ in range(add_citations(first.body, row.body["citations"])):
                full(row.line, row.body["id"])
            known = {(a["id"], a["role"]) for a in first.body["actors"]}
            first.body["actors"] += [
                a for a in row.body["actors"] if (a["id"], a["role"]) not in known
            ]
            first.actors += row.actors
    return list(events.values())


def add_citations(
    body: dict[str, Any], citations: list[dict[str, Any]], *, join: bool = True
) -> int:
    """Cite each new source once, up to MAX_CITATIONS in all: how many found no room. With
    `join`, a source cited already names the row in its locator too."""
    cited = {normalise_url(c["source"]["url"]): c for c in body["citations"] if "source" in c}
    left_out = 0
    for citation in citations:
        same = cited.get(normalise_url(citation["source"]["url"]))
        if same is None and len(body["citations"]) >= MAX_CITATIONS:
            left_out += 1
        elif same is None:
            body["citations"].append(citation)
            cited[normalise_url(citation["source"]["url"])] = citation
        elif join and citation["locator"] not in same["locator"]:
            joined = f"{same['locator']}; {citation['locator']}"
            same["locator"] = joined if len(joined) <= 200 else same["locator"]
    return left_out


def stamps(event: EventDict) -> Iterator[int]:
    for citation in event["citations"]:
        match = STAMP.search(citation["locator"] or "")
        if match:
            yield int(match.group(1))


def with_additions(body: dict[str, Any], event: EventDict) -> dict[str, Any]:
    given = {normalise_url(c["source"]["url"]) for c in body["citations"]}
    stored = writable(event)
    added = [
        citation
        for citation, public in zip(stored["citations"], event["citations"], strict=True)
        if public["source"]["url"] not in given
    ]
    tags = body["tags"] + [tag for tag in event["tags"] if tag not in body["tags"]]
    return body | {
        "citations": body["citations"] + added,
        "tags": tags,
        "links": stored["links"],
    }
