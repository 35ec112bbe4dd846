"""The scripts in examples/ run against a real server, so they never rot."""

import csv
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_serve import IRN_AZE_2012_2013

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_every_example_has_a_test_here():
    assert sorted(path.name for path in EXAMPLES.glob("*.py")) == ["iran_azerbaijan.py"]


def test_the_iran_azerbaijan_example_lists_the_disputed_claim_and_writes_a_csv(served, tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith("DYAD_")}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "iran_azerbaijan.py"), "timeline.csv"],
        env=env | {"DYAD_URL": served.url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "Iran–Azerbaijan, 2012–2013: 10 events",
        "  2012: 1 event, mean tone -5.0",
        "  2013: 9 events, mean tone +0.6",
    ]
    claim = lines.index(
        "  Mark Perry writes in Foreign Policy that Israel has gained access to airbases in "
        "Azerbaijan (2013-03)"
    )
    source = "New Eastern Outlook, “Iran-Azerbaijan: Conflict or Friendship?”, para. 5"
    assert lines[claim - 2] == "Disputed claims: 1"
    assert lines[claim + 1] == f"    supported by: {source}"
    assert lines[claim + 2].startswith("      > And how should we interpret the article")
    assert lines[claim + 3 : claim + 6] == [
        f"    disputed by: {source}",
        "      > Azerbaijan then had to deny that information at all levels.",
        "    denied in the event: Azerbaijan denies that Israel has gained access to its "
        "airbases (2013-03~)",
    ]
    assert lines[-1] == "Wrote 10 events to timeline.csv"

    with (tmp_path / "timeline.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [row["id"] for row in rows] == IRN_AZE_2012_2013
    disputed = [row for row in rows if row["status"] == "disputed"]
    assert [(row["id"], row["supporting"], row["disputing"]) for row in disputed] == [
        ("2013-03-perry-israel-airbases-claim", "1", "1")
    ]
