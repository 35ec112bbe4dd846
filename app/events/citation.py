"""A ready-to-paste citation of an event and the sources behind it."""

import re
from datetime import date
from enum import StrEnum
from typing import Any

from app.core import dates
from app.events.public import EventDict


class Style(StrEnum):
    text = "text"
    markdown = "markdown"


MEDIA_TYPES = {Style.text: "text/plain", Style.markdown: "text/markdown"}


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#])")


def escape_markdown(text: str) -> str:
    """Text that Markdown shows as written (a `]` in a title must not end its link)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def when(event: EventDict) -> str:
    shown = dates.display(event["date"])
    end_date = event["end_date"]
    return f"{shown} – {dates.display(end_date)}" if end_date else shown


def cite(event: EventDict, url: str, style: Style, retrieved: date) -> str:
    """The event, where to find it, and each source with its stance, quote and locator."""
    markdown = style == Style.markdown
    title = f"**{escape_markdown(event['title'])}**" if markdown else f"“{event['title']}”"
    link = f"<{url}>" if markdown else url
    lines = [
        f"{title} ({when(event)}). Dyad, version {event['version']}, {link} "
        f"(retrieved {retrieved.isoformat()}).",
    ]
    if event["status"] == "disputed":
        lines.append("")
        lines.append("Disputed: at least one source disputes this event.")
    if event["citations"]:
        lines.append("")
        lines.append("Sources:")
        lines += [f"- {_source(citation, markdown)}" for citation in event["citations"]]
    return "\n".join(lines) + "\n"


def _source(citation: dict[str, Any], markdown: bool) -> str:
    """One citation of an event's public form, with its source."""
    source = citation["source"]
    shown = escape_markdown if markdown else str
    title = f"“{shown(source['title'])}”"
    if markdown:
        title = f"[{title}]({source['url']})"
    author = shown(source["author"]) if source["author"] else None
    parts = [part for part in (author, title) if part]
    if source["publisher"]:
        parts.append(f"*{shown(source['publisher'])}*" if markdown else source["publisher"])
    if source["published"]:
        parts.append(dates.display(source["published"]))
    if not markdown:
        parts.append(source["url"])
    if citation["locator"]:
        parts.append(citation["locator"])
    text = ", ".join(parts) + f". {citation['stance'].capitalize()}"
    if citation["quote"]:
        text += f": “{citation['quote']}”"
    return text
