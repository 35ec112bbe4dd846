"""Iran and Azerbaijan, 2012–2013: the timeline, the disputed claims with the sources on
each side, and every event in a CSV file for a spreadsheet.

    make run   # in another terminal: serves the seed, and installs the client into .venv
    DYAD_URL=http://127.0.0.1:8000 .venv/bin/python examples/iran_azerbaijan.py [out.csv]
"""

import csv
import os
import sys
from pathlib import Path

from dyad_client import Citation, Dyad, Event, to_records


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "iran_azerbaijan_2012_2013.csv")
    url = os.environ.get("DYAD_URL", "http://127.0.0.1:8000")
    with Dyad(url, os.environ.get("DYAD_API_KEY")) as dyad:
        # Every matching event: the client follows the pages for us.
        events = dyad.events(dyad="IRN-AZE", from_="2012", to="2013").to_list()
        timeline = dyad.timeline(dyad="IRN-AZE", from_="2012", to="2013", bucket="year")

        print(f"Iran–Azerbaijan, 2012–2013: {len(events)} events")
        for bucket in timeline.buckets:
            tone = f"{bucket.tone_mean:+.1f}" if bucket.tone_mean is not None else "n/a"
            print(f"  {bucket.period}: {plural(bucket.count, 'event')}, mean tone {tone}")

        print("\nTimeline")
        for event in events:
            print(f"  {event.date:<11} {event.type:<9} {event.status:<9} {event.title}")

        disputed = [event for event in events if event.status == "disputed"]
        print(f"\nDisputed claims: {len(disputed)}")
        for claim in disputed:
            print(f"\n  {claim.title} ({claim.date})")
            print_sources("supported by", claim.supporting)
            print_sources("disputed by", claim.disputing)
            # A denial recorded as an event of its own links to the claim it denies.
            for link in claim.linked_from:
                if link.relation == "denies":
                    denial: Event = dyad.event(link.event_id)
                    print(f"    denied in the event: {denial.title} ({denial.date})")
                    print_sources("whose source", denial.supporting)

    with out.open("w", newline="", encoding="utf-8") as file:
        records = to_records(events)
        writer = csv.DictWriter(file, fieldnames=list(records[0]) if records else ["id"])
        writer.writeheader()
        writer.writerows(records)
    print(f"\nWrote {len(events)} events to {out}")
    return 0


def print_sources(label: str, citations: list[Citation]) -> None:
    for citation in citations:
        source = citation.source
        where = f", {citation.locator}" if citation.locator else ""
        print(f"    {label}: {source.publisher or source.url}, “{source.title}”{where}")
        if citation.quote:
            print(f"      > {citation.quote}")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
