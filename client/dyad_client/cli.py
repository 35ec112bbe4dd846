"""dyad-client: events, timelines and relations from the shell, as tables, JSON or exports."""

import argparse
import csv
import dataclasses
import io
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any, BinaryIO, TextIO

import httpx

from dyad_client import errors
from dyad_client._api import EXPORT_FORMATS, EventFilters, Writable
from dyad_client.client import Dyad
from dyad_client.models import Event, Relation, Timeline

DEFAULT_URL = "http://127.0.0.1:8000"

# Exit codes, so that scripts can tell failures apart.
OK = 0
FAILED = 1  # any other error answer
USAGE = 2  # bad arguments, or values the API refused (400, 422)
NOT_FOUND = 3  # 404
DENIED = 4  # 401, 403: a missing, wrong or too weak API key
CONFLICT = 5  # 409, 412
UNAVAILABLE = 6  # 429, 503 or another 5xx, after the retries
UNREACHABLE = 7  # no answer: connection refused, DNS, timeout
BROKEN_PIPE = 141  # the reader went away (`| head`), as for a process killed by SIGPIPE

EXIT_CODES = """exit codes:
  0  success                     4  API key missing, wrong or too weak (401, 403)
  1  another error answer        5  conflict: the id exists or the version is stale
  2  bad arguments (or 400/422)  6  server busy or down after the retries (429, 5xx)
  3  not found (404)             7  no answer from the server (network, timeout)

environment: DYAD_URL (default http://127.0.0.1:8000), DYAD_API_KEY"""


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dyad-client",
        description="Read a Dyad server: events, one event, timelines, relations.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", default=env.get("DYAD_URL", DEFAULT_URL), help="the server")
    parser.add_argument("--api-key", default=env.get("DYAD_API_KEY"), help="an API key")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument(
        "--retries", type=int, default=3, help="retries of 429 and 503 answers (default 3)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    filters = argparse.ArgumentParser(add_help=False)
    group = filters.add_argument_group("filters (repeat a list option for any of its values)")
    group.add_argument("-q", "--q", help='full text: words, "a phrase", -excluded')
    group.add_argument("--country", action="append", help="involves this country")
    group.add_argument("--dyad", help="involves both countries: AZE-IRN")
    group.add_argument("--actor", action="append", help="actor id")
    group.add_argument("--type", action="append", help="PLOVER type: reject, accuse, ...")
    group.add_argument("--tag", action="append")
    group.add_argument("--source", action="append", help="source id")
    group.add_argument("--publisher", action="append")
    group.add_argument("--status", action="append", help="unsourced, reported or disputed")
    group.add_argument("--from", dest="from_", metavar="DATE", help="EDTF: 2012, 2012-08, ...")
    group.add_argument("--to", metavar="DATE", help="EDTF date")
    group.add_argument("--tone-min", type=float)
    group.add_argument("--tone-max", type=float)
    group.add_argument("--updated-since", metavar="TIME", help="RFC 3339 time")

    events = commands.add_parser("events", parents=[filters], help="list or export matching events")
    events.add_argument(
        "--format",
        choices=["table", "json", *EXPORT_FORMATS],
        default="table",
        help="table (default); json (an array); or an export: csv, ndjson, ics, timelinejs",
    )
    events.add_argument(
        "--sort",
        choices=["date", "-date", "-updated"],
        help="date (oldest first, the default); newest first: --sort=-date",
    )
    events.add_argument("-o", "--output", metavar="FILE", help="write here, not to stdout")

    event = commands.add_parser("event", help="one event, with its sources")
    event.add_argument("id")
    event.add_argument("--as-of", metavar="TIME", help="as it stood at this RFC 3339 time")
    event.add_argument("--format", choices=["text", "json"], default="text")

    timeline = commands.add_parser("timeline", parents=[filters], help="events per period")
    timeline.add_argument("--bucket", choices=["year", "month", "day"], default="year")
    timeline.add_argument("--format", choices=["table", "json", "csv"], default="table")

    relation = commands.add_parser(
        "relation", parents=[filters], help="two countries' relations summarised"
    )
    relation.add_argument("pair", nargs="+", metavar="COUNTRY", help="AZE-IRN, or AZE IRN")
    relation.add_argument("--format", choices=["text", "json"], default="text")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdout: BinaryIO | None = None,
    stderr: TextIO | None = None,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Run one command; returns the exit code."""
    env = os.environ if env is None else env
    out = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    args = build_parser(env).parse_args(argv)
    try:
        with Dyad(
            args.url,
            args.api_key,
            timeout=args.timeout,
            max_retries=args.retries,
            transport=transport,
        ) as dyad:
            COMMANDS[args.command](dyad, args, out, err)
            out.flush()
        return OK
    except errors.DyadError as error:
        print(f"dyad-client: {error}", file=err)
        return exit_code(error)
    except BrokenPipeError:
        if out is sys.stdout.buffer:
            # Python would fail again flushing stdout at exit: point it at nothing.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
    except KeyboardInterrupt:
        return 130


def exit_code(error: errors.DyadError) -> int:
    if isinstance(error, errors.NetworkError):
        return UNREACHABLE
    if not isinstance(error, errors.ApiError):
        return FAILED
    if error.status in (400, 422):
        return USAGE
    if error.status == 404:
        return NOT_FOUND
    if error.status in (401, 403):
        return DENIED
    if error.status in (409, 412):
        return CONFLICT
    if error.status == 429 or error.status >= 500:
        return UNAVAILABLE
    return FAILED


FILTERS = sorted(EventFilters.__optional_keys__)


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {name: getattr(args, name) for name in FILTERS if getattr(args, name) is not None}


def _write(out: BinaryIO, text: str) -> None:
    out.write(text.encode())


def _json(value: Any) -> str:
    def encode(item: Any) -> Any:
        if isinstance(item, date | datetime):
            return item.isoformat()
        raise TypeError(f"{type(item).__name__} is not JSON")

    return json.dumps(value, default=encode, ensure_ascii=False, indent=2) + "\n"


# --- the commands -------------------------------------------------------------------


def events_command(dyad: Dyad, args: argparse.Namespace, out: BinaryIO, err: TextIO) -> None:
    if args.output:
        with open(args.output, "wb") as file:
            _events(dyad, args, file, err)
    else:
        _events(dyad, args, out, err)


def _events(dyad: Dyad, args: argparse.Namespace, out: BinaryIO, err: TextIO) -> None:
    filters = _filters(args)
    if args.format == "table":
        for event in dyad.events(sort=args.sort, page_size=500, **filters):
            _write(out, _row(event))
        return
    progress = Progress(err) if err.isatty() else None
    target: Writable = JsonArray(out) if args.format == "json" else out
    export_format = "ndjson" if args.format == "json" else args.format
    dyad.export(export_format, target, sort=args.sort, progress=progress, **filters)
    if isinstance(target, JsonArray):
        target.close()
    if progress is not None:
        progress.finish()


def _row(event: Event) -> str:
    return f"{event.date:<12} {event.type:<9} {event.status:<9} {event.id}  {event.title}\n"


def event_command(dyad: Dyad, args: argparse.Namespace, out: BinaryIO, err: TextIO) -> None:
    event = dyad.event(args.id, as_of=args.as_of)
    if args.format == "json":
        _write(out, _json(dataclasses.asdict(event)))
        return
    lines = [
        event.title,
        f"{event.date}  {event.type}  {', '.join(event.countries)}  {event.status}"
        f"  (id {event.id}, version {event.version})",
    ]
    if event.summary:
        lines += ["", event.summary]
    if event.citations:
        lines += ["", "Sources:"]
    for citation in event.citations:
        source = citation.source
        by = f"{source.publisher}, " if source.publisher else ""
        where = f", {citation.locator}" if citation.locator else ""
        lines.append(f"  [{citation.stance}] {by}{source.title}{where}  <{source.url}>")
        if citation.quote:
            lines.append(f"      “{citation.quote}”")
    for label, links in (("Links", event.links), ("Linked from", event.linked_from)):
        if links:
            lines += ["", f"{label}:"] + [f"  {link.relation}: {link.event_id}" for link in links]
    _write(out, "\n".join(lines) + "\n")


def timeline_command(dyad: Dyad, args: argparse.Namespace, out: BinaryIO, err: TextIO) -> None:
    timeline = dyad.timeline(bucket=args.bucket, **_filters(args))
    if args.format == "json":
        _write(out, _json(dataclasses.asdict(timeline)))
    elif args.format == "csv":
        _write(out, _csv(timeline))
    else:
        _write(out, _timeline_table(timeline))


def _csv(timeline: Timeline) -> str:
    text = io.StringIO()
    records = timeline.to_records()
    columns = list(records[0]) if records else ["period", "count"]
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return text.getvalue()


def _timeline_table(timeline: Timeline) -> str:
    width = max([len(bucket.period) for bucket in timeline.buckets] + [len("period")])
    lines = [f"{'period':<{width}}  count   tone  types"]
    for bucket in timeline.buckets:
        tone = f"{bucket.tone_mean:+.1f}" if bucket.tone_mean is not None else "–"
        types = ", ".join(f"{name} {count}" for name, count in bucket.types.items())
        lines.append(f"{bucket.period:<{width}}  {bucket.count:>5}  {tone:>5}  {types}")
    return "\n".join(lines) + "\n"


def relation_command(dyad: Dyad, args: argparse.Namespace, out: BinaryIO, err: TextIO) -> None:
    relation = dyad.relation(*args.pair[:2], **_filters(args))
    if args.format == "json":
        _write(out, _json(dataclasses.asdict(relation)))
    else:
        _write(out, _relation_text(relation))


def _relation_text(relation: Relation) -> str:
    pair = "–".join(relation.countries)
    tone = f"{relation.tone_mean:+.1f}" if relation.tone_mean is not None else "–"
    lines = [f"{pair}: {relation.count} events, {relation.disputed} disputed, mean tone {tone}"]
    if relation.first_date and relation.last_date:
        lines.append(f"from {relation.first_date} to {relation.last_date}")
    lines.append("by year: " + ", ".join(f"{y} {n}" for y, n in relation.by_year.items()))
    lines.append("by type: " + ", ".join(f"{t} {n}" for t, n in relation.by_type.items()))
    actors = ", ".join(f"{actor.name} ({actor.count})" for actor in relation.top_actors)
    lines.append(f"top actors: {actors}")
    return "\n".join(lines) + "\n"


Command = Callable[[Dyad, argparse.Namespace, BinaryIO, TextIO], None]
COMMANDS: dict[str, Command] = {
    "events": events_command,
    "event": event_command,
    "timeline": timeline_command,
    "relation": relation_command,
}


# --- output helpers -----------------------------------------------------------------


class JsonArray:
    """Writes NDJSON as one JSON array, line by line, in constant memory."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._rest = b""
        self._count = 0

    def write(self, chunk: bytes) -> int:
        lines = (self._rest + chunk).split(b"\n")
        self._rest = lines.pop()
        for line in lines:
            self._item(line)
        return len(chunk)

    def _item(self, line: bytes) -> None:
        if line.strip():
            self._out.write((b",\n" if self._count else b"[\n") + line)
            self._count += 1

    def close(self) -> None:
        self._item(self._rest)
        self._out.write(b"\n]\n" if self._count else b"[]\n")


class Progress:
    """Bytes exported so far on a terminal's stderr, once an export has run for a while."""

    def __init__(
        self,
        stream: TextIO,
        *,
        after: float = 1.0,
        every: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._clock = clock
        self._start = clock()
        self._after = after  # short exports say nothing
        self._every = every
        self._shown_at: float | None = None
        self._bytes = 0

    def __call__(self, written: int) -> None:
        self._bytes = written
        now = self._clock()
        if now - self._start < self._after:
            return
        if self._shown_at is None or now - self._shown_at >= self._every:
            self._show()
            self._shown_at = now

    def _show(self) -> None:
        seconds = self._clock() - self._start
        self._stream.write(f"\rexported {_size(self._bytes)} in {seconds:.0f} s ")
        self._stream.flush()

    def finish(self) -> None:
        if self._shown_at is not None:
            self._show()
            self._stream.write("\n")
            self._stream.flush()


def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / 1024 / 1024:.1f} MB"


if __name__ == "__main__":
    sys.exit(main())
