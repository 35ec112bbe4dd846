"""The benchmark, end to end: Dyad beside Datasette on the same generated events.

Steps (each reuses what an earlier run left in bench/data/n<N>/ unless told otherwise):
1. generate N events (bench/generate.py);
2. load them through `dyad import`, timed, into a fresh SQLite file and into a scratch
   PostgreSQL database (never the `test` one);
3. build the same events as a plain SQLite file for Datasette 0.65 (bench/peer.py), which runs
   from its own virtualenv, bench/.venv;
4. serve each system in turn (one process; Dyad on PostgreSQL with two workers) and load it
   with wrk: Q1-Q5 with the same connections and duration, Q6 (a CSV of every event) timed
   with the server's peak memory;
5. the SQL floor: the SELECTs of each Dyad request replayed in-process on a bare connection;
6. write bench/RESULTS.md.

Run with the project's virtualenv (`make bench`), from the repository's root.
"""

import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
import peer  # noqa: E402

BIN = Path(sys.executable).parent
BENCH_VENV = HERE / ".venv"
DATASETTE = "datasette==0.65.*"
# The generator's words: a frequent real word, hit by about 6% of events, for Q2.
SEARCH_TERM = "olympics"
DYAD = ("AZE", "IRN")
PAGE = 10  # Q5: this page of Q1, reached by cursor
# No rate limit while measuring throughput (any build of Dyad accepts this form).
NO_RATE_LIMIT = "1000000000/second"

err = sys.stderr


def say(message: str) -> None:
    err.write(f"[bench {datetime.now():%H:%M:%S}] {message}\n")
    err.flush()


# --- tools -----------------------------------------------------------------------------


def ensure_tools() -> None:
    """wrk from Debian's packages, Datasette in bench/.venv: installed when missing."""
    if shutil.which("wrk") is None:
        say("installing wrk (apt-get)")
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"]).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    if not (BENCH_VENV / "bin" / "datasette").exists():
        say(f"installing {DATASETTE} into {BENCH_VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        pip = [str(BENCH_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, DATASETTE], check=True)


def versions() -> dict[str, str]:
    def out(command: list[str]) -> str:
        done = subprocess.run(command, capture_output=True, text=True)
        return (done.stdout or done.stderr).strip().splitlines()[0]

    import sqlite3

    import fastapi
    import sqlalchemy
    import uvicorn

    found = {
        "python": platform.python_version(),
        "fastapi": fastapi.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "uvicorn": uvicorn.__version__,
        "sqlite": sqlite3.sqlite_version,
    }
    # The tools of a whole run, when they are there (a profile needs neither).
    datasette = BENCH_VENV / "bin" / "datasette"
    if datasette.exists():
        found["datasette"] = out([str(datasette), "--version"]).split()[-1]
    if shutil.which("wrk"):
        found["wrk"] = out(["wrk", "-v"]).split(" [")[0].removeprefix("wrk ")
    return found


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} cores ({model}), {memory} GiB, {platform.platform()}"


# --- loading ---------------------------------------------------------------------------


def dyad_env(database_url: str) -> dict[str, str]:
    # A minute per statement, as Datasette gets: the answer checks count every match, which
    # takes longer than the API's default 10 s while the database is still cold on disk.
    return os.environ | {
        "DYAD_DATABASE_URL": database_url,
        "DYAD_RATE_LIMIT": NO_RATE_LIMIT,
        "DYAD_STATEMENT_TIMEOUT": "60",
    }


def load_refs(database_url: str, data: Path, env: dict[str, str]) -> None:
    """The actors that events name, through the seed loader (as `dyad seed` does)."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from sqlmodel import Session;"
            "from app.core.db import create_db_engine; from app.seed import load_seed;"
            "engine = create_db_engine(sys.argv[1]); session = Session(engine);"
            "load_seed(session, Path(sys.argv[2])); session.commit()",
            database_url,
            str(data / "refs"),
        ],
        env=env,
        check=True,
    )


def load_dyad(database_url: str, data: Path) -> dict[str, Any]:
    """Migrate, create the actors, then time `dyad import` of every event."""
    env = dyad_env(database_url)
    subprocess.run([str(BIN / "dyad"), "migrate"], env=env, check=True)
    load_refs(database_url, data, env)
    started = time.perf_counter()
    importing = subprocess.Popen(
        [str(BIN / "dyad"), "import", str(data / "events.ndjson"), "--mode", "create"], env=env
    )
    _pid, status, usage = os.wait4(importing.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"dyad import failed (exit status {status})")
    n = json.loads((data / "meta.json").read_text())["n"]
    return {
        "seconds": round(seconds, 1),
        "events_per_s": round(n / seconds, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # kilobytes on Linux
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
    }


def recreate_postgres(server_url: str, name: str) -> str:
    """A fresh scratch database on the server; its SQLAlchemy URL."""
    import psycopg

    if name in ("test", "postgres"):
        raise typer.BadParameter(f"refusing to use the {name!r} database")
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url.replace('postgresql://', 'postgresql+psycopg://')}/{name}"


# --- servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree_pids(pid: int) -> list[int]:
    """A process and its descendants (a server's supervisor, its workers and helpers)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.append(current)
    return found


def memory(pid: int) -> dict[str, int]:
    """The memory of a process and its descendants, in bytes, from /proc/PID/smaps_rollup.

    `pss`: their proportional set sizes summed, a page shared by n of them counting 1/n in
    each: what the server as a whole holds. `rss`: their resident sizes summed, every shared
    page (libraries, above all) counted once in each process that maps it. `largest`: the
    resident size of the largest process.
    """
    pss = rss = largest = 0
    for current in tree_pids(pid):
        try:
            lines = Path(f"/proc/{current}/smaps_rollup").read_text().splitlines()[1:]
        except (FileNotFoundError, ProcessLookupError):
            continue
        sizes = {
            name: int(value.split()[0]) * 1024
            for name, value in (line.split(":") for line in lines)
        }
        pss += sizes["Pss"]
        rss += sizes["Rss"]
        largest = max(largest, sizes["Rss"])
    return {"pss": pss, "rss": rss, "largest": largest}


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) a process and its descendants have used so far."""
    ticks = 0
    for current in tree_pids(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (the 14th and 15th fields)
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fetch(self, path: str) -> Any:
        return get_json(self.base + path)

    def __enter__(self) -> "Server":
        say(f"starting {self.name} on port {self.port}")
        with self.log.open("wb") as log:
            # Its own process group: stopping it stops its workers too, and nothing else.
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}")
            try:
                with urllib.request.urlopen(self.base + "/", timeout=2):
                    return self
            except urllib.error.HTTPError:
                return self  # it answers
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not start; see {self.log}")

    def __exit__(self, *_: object) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=600) as response:
        return orjson.loads(response.read())


# --- measuring -------------------------------------------------------------------------


def run_wrk(
    url: str, connections: int, duration: int, paths: Path | None, out: Path
) -> dict[str, Any]:
    threads = min(connections, 2)  # two cores: more threads only compete with the server
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "60s",
        "-s", str(HERE / "wrk.lua"), url,
    ]  # fmt: skip
    if paths is not None:
        command += ["--", str(paths)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    out.write_text(" ".join(command) + "\n" + done.stdout)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK_JSON "))
    result: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    if any(result["errors"].values()):
        say(f"  wrk errors for {url}: {result['errors']}")
    return result


def warm(url: str, times: int = 3) -> None:
    for _ in range(times):
        with urllib.request.urlopen(url, timeout=600) as response:
            response.read()


def export(url: str, pid: int) -> dict[str, Any]:
    """Download a whole streamed export: seconds, bytes, lines, and the server's memory before
    and at its peak (each of memory()'s figures at its own peak)."""
    before = memory(pid)
    peak = dict(before)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for name, size in memory(pid).items():
                peak[name] = max(peak[name], size)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    size = lines = 0
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=3600) as response:
            while chunk := response.read(1 << 20):
                size += len(chunk)
                lines += chunk.count(b"\n")
    finally:
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu
        stop.set()
        sampler.join()
    return {
        "seconds": seconds,
        "server_cpu_seconds": cpu,
        "bytes": size,
        "lines": lines,
        "processes": len(tree_pids(pid)),
        **{f"{name}_before_mb": value / 2**20 for name, value in before.items()},
        **{f"peak_{name}_mb": value / 2**20 for name, value in peak.items()},
    }


@dataclass
class Queries:
    """The URL paths of Q1-Q6 for one system (Q4 cycles through many ids)."""

    q1: str
    q2: str
    q3: str
    q4_paths: list[str]
    q5: str = ""
    q5_page: int = 0
    q6: str = ""
    checks: dict[str, Any] = field(default_factory=dict)


def dyad_queries(fetch: Callable[[str], Any], ids: list[str]) -> Queries:
    """Dyad's queries; `fetch` gets a path's JSON (over HTTP, or in-process for profiles)."""
    a, b = DYAD
    q1 = f"/v1/events?dyad={a}-{b}&from=2010&to=2015&limit=50"
    queries = Queries(
        q1=q1,
        q2=f"/v1/events?q={SEARCH_TERM}&limit=50",
        q3=f"/v1/timeline?dyad={a}-{b}&bucket=month",
        q4_paths=[f"/v1/events/{event_id}" for event_id in ids],
        q6="/v1/events?format=csv",
    )
    # Q5: follow next_cursor to the 10th page (or the last there is, with few events).
    url, page = q1, 1
    while page < PAGE:
        cursor = fetch(url)["next_cursor"]
        if not cursor:
            break
        url, page = f"{q1}&cursor={urllib.parse.quote(cursor)}", page + 1
    queries.q5, queries.q5_page = url, page
    queries.checks = {
        "q1_total": fetch(q1 + "&include_total=true")["total"],
        "q2_total": fetch(queries.q2 + "&include_total=true")["total"],
        "q3_events": sum(b["count"] for b in fetch(queries.q3)["buckets"]),
    }
    return queries


TIMELINE_SQL = """select substr(date_lower, 1, 7) as period, type, count(*) as count,
avg(tone) as tone_mean, sum(date_precision = 'year') as imprecise
from events where country_a = :a and country_b = :b
group by period, type order by period, count desc"""


# Datasette's table pages do the work Dyad's pages do, no more: without its facet suggestions
# (about twenty queries a page) and without a count of every match, which Dyad's lists make
# only when asked (`facets=`, `include_total=true`).
SAME_WORK = "&_nofacet=1&_nocount=1"


def datasette_queries(base: str, ids: list[str]) -> Queries:
    a, b = DYAD
    q1 = (
        f"/bench/events.json?country_a={a}&country_b={b}"
        "&date_upper__gte=2010-01-01&date_lower__lte=2015-12-31&_sort=date_lower&_size=50"
        + SAME_WORK
    )
    q2 = f"/bench/events.json?_search={SEARCH_TERM}&_sort=date_lower&_size=50" + SAME_WORK
    sql = urllib.parse.quote(TIMELINE_SQL)
    queries = Queries(
        q1=q1,
        q2=q2,
        q3=f"/bench.json?sql={sql}&a={a}&b={b}&_shape=array",
        q4_paths=[f"/bench/events/{event_id}.json" for event_id in ids],
        q6="/bench/events.csv?_stream=on&_size=max",
    )
    url, page = q1, 1
    while page < PAGE:
        token = get_json(base + url).get("next")
        if not token:
            break
        url, page = f"{q1}&_next={urllib.parse.quote(str(token))}", page + 1
    queries.q5, queries.q5_page = url, page
    counted = SAME_WORK.replace("&_nocount=1", "")  # the checks ask for the count
    queries.checks = {
        "q1_total": get_json(base + q1.replace(SAME_WORK, counted))["filtered_table_rows_count"],
        "q2_total": get_json(base + q2.replace(SAME_WORK, counted))["filtered_table_rows_count"],
        "q3_events": sum(row["count"] for row in get_json(base + queries.q3)),
    }
    return queries


def measure(
    server: Server,
    queries: Queries,
    connections: int,
    duration: int,
    out: Path,
    one: bool,
    q6: bool = True,
) -> dict[str, Any]:
    """wrk for Q1-Q5 (and at one connection when `one`), then the Q6 export (when `q6`)."""
    results: dict[str, Any] = {"checks": queries.checks, "q5_page": queries.q5_page}
    ids_file = out / f"{server.name}-q4-paths.txt"
    ids_file.write_text("\n".join(queries.q4_paths) + "\n")
    plan = {"q1": queries.q1, "q2": queries.q2, "q3": queries.q3, "q5": queries.q5}
    for name in ("q1", "q2", "q3", "q4", "q5"):
        path = queries.q4_paths[0] if name == "q4" else plan[name]
        paths = ids_file if name == "q4" else None
        warm(server.base + path)
        say(f"  {server.name} {name}: wrk -c{connections} {duration}s")
        results[name] = run_wrk(
            server.base + path, connections, duration, paths, out / f"{server.name}-{name}.txt"
        )
        if one:
            results[f"{name}_c1"] = run_wrk(
                server.base + path, 1, duration, paths, out / f"{server.name}-{name}-c1.txt"
            )
    assert server.process is not None
    # At rest after Q1-Q5: the processes as they serve, before an export.
    at_rest = memory(server.process.pid)
    results["memory"] = {f"{name}_mb": value / 2**20 for name, value in at_rest.items()}
    results["memory"]["processes"] = len(tree_pids(server.process.pid))
    if q6:
        say(f"  {server.name} q6: streamed CSV of every event")
        results["q6"] = export(server.base + queries.q6, server.process.pid)
    return results


# --- the SQL floor ---------------------------------------------------------------------


def sql_floor(database_url: str, queries: Queries, out: Path) -> dict[str, Any]:
    """Each request's SELECTs, replayed on a bare connection (median), and their plans."""
    import inproc

    app = inproc.App(database_url)
    floors: dict[str, Any] = {}
    plans = []
    try:
        for name, path, repeat in (
            ("q1", queries.q1, 20),
            ("q2", queries.q2, 20),
            ("q3", queries.q3, 20),
            ("q4", queries.q4_paths[0], 50),
            ("q5", queries.q5, 20),
            ("q6", queries.q6, 1),
        ):
            with app.capture() as captured:
                response = app.get(path, keep_body=False)
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status}")
            statements = inproc.selects(captured.statements)
            seconds = inproc.replay_seconds(app.engine, statements, repeat)
            floors[name] = {"seconds": seconds, "statements": len(statements)}
            for statement, parameters in statements[: 8 if name != "q6" else 7]:
                plans.append(f"-- {name}: {path}\n{statement}\n-- parameters: {parameters!r}")
                plans.append(inproc.explain(app.engine, statement, parameters) + "\n")
    finally:
        app.close()
    (out / f"plans-{app.engine.dialect.name}.txt").write_text("\n".join(plans))
    return floors


# --- results ---------------------------------------------------------------------------


def _ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "n/a"


QUERY_NAMES = {
    "q1": "Q1 dyad page of 50, 2010–2015, by date",
    "q2": f"Q2 full-text page of 50 (`{SEARCH_TERM}`)",
    "q3": "Q3 monthly timeline of one dyad",
    "q4": "Q4 one event by id",
    "q5": f"Q5 page {PAGE} of Q1 by cursor",
}


# The sections of RESULTS.md that bench/endpoints.py and bench/profile_dyad.py write: a run
# of this script keeps them.
ENDPOINTS_HEADING = "## Every read endpoint at one connection"
PROFILES_HEADING = "## Where the time goes: profiles"
FLOOR_HEADING = "## The import's floor: the database's part alone"
KEPT_HEADINGS = (ENDPOINTS_HEADING, FLOOR_HEADING, PROFILES_HEADING)


def section(text: str, heading: str) -> list[str] | None:
    """The lines of the Markdown section `heading` of `text`, without its heading."""
    _before, found, rest = text.partition(heading + "\n")
    if not found:
        return None
    return rest.split("\n## ", 1)[0].rstrip("\n").split("\n")


def replace_section(path: Path, heading: str, lines: list[str]) -> None:
    """Write `lines` as the section `heading` of the Markdown file, in place of an earlier one
    (or last)."""
    text = path.read_text() if path.exists() else ""
    before, found, rest = text.partition(heading + "\n")
    after = rest.split("\n## ", 1)[1] if found and "\n## " in rest else ""
    body = "\n".join([heading, *lines]) + "\n"
    path.write_text(before.rstrip("\n") + "\n\n" + body + ("\n## " + after if after else ""))


def report(results: dict[str, Any], path: Path) -> None:
    n, c, d = results["n"], results["connections"], results["duration"]
    dy, ds = results["dyad_sqlite"], results["datasette"]
    pg = results.get("dyad_postgres")
    lines = [
        "# Benchmark results",
        "",
        f"Made by `make bench` (bench/run.py) on {results['date']}.",
        "",
        f"- Events: {n:,} (bench/generate.py, seed {results['seed']})",
        f"- Machine: {results['machine']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()),
        f"- Load: wrk, {c} connections, {d} s per query; wrk runs on the same cores. Dyad "
        "as `make run` serves it (`dyad serve`: a worker per core), on SQLite and on "
        "PostgreSQL; Datasette as it serves by default (one process); Dyad with one worker "
        "too, for the figures per process.",
        "- Dyad runs with its default settings (`DYAD_CONCURRENT_READS` among them), except "
        "no rate limit and a minute per statement, as Datasette gets.",
        "- The same work: Datasette's pages without facet suggestions or a count of every "
        "match (`_nofacet=1&_nocount=1`), which Dyad's do only when asked; pages sorted by date "
        "on both.",
        "",
        "## Requests per second and latency",
        "",
        "| query | Dyad req/s | p50 ms | p99 ms | Datasette req/s | p50 ms | p99 ms "
        "| Dyad / Datasette |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, label in QUERY_NAMES.items():
        a, b = dy[name], ds[name]
        lines.append(
            f"| {label} | {a['rps']:.0f} | {_ms(a['p50_us'])} | {_ms(a['p99_us'])} "
            f"| {b['rps']:.0f} | {_ms(b['p50_us'])} | {_ms(b['p99_us'])} "
            f"| {_ratio(a['rps'], b['rps'])} |"
        )
    lines += _goals(results)
    one = results.get("dyad_sqlite_1")
    if one:
        lines += [
            "",
            "### Per process: Dyad with one worker",
            "",
            "| query | Dyad, 1 worker req/s | p50 ms | Dyad / Datasette | default / 1 worker |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for name, label in QUERY_NAMES.items():
            o = one[name]
            lines.append(
                f"| {label} | {o['rps']:.0f} | {_ms(o['p50_us'])} "
                f"| {_ratio(o['rps'], ds[name]['rps'])} | {_ratio(dy[name]['rps'], o['rps'])} |"
            )
    a6, b6 = dy["q6"], ds["q6"]
    lines += [
        "",
        "## Q6: CSV export of every event",
        "",
        "| system | seconds | MB | rows | processes | peak PSS MB (before) "
        "| peak RSS summed MB (before) | largest process's peak RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    systems = [("Dyad (SQLite)", a6), ("Datasette", b6)]
    if pg:
        systems.append(("Dyad (PostgreSQL)", pg["q6"]))
    for label, q6 in systems:
        lines.append(
            f"| {label} | {q6['seconds']:.1f} | {q6['bytes'] / 2**20:.1f} | {q6['lines'] - 1:,} "
            f"| {q6['processes']} | {q6['peak_pss_mb']:.0f} ({q6['pss_before_mb']:.0f}) "
            f"| {q6['peak_rss_mb']:.0f} ({q6['rss_before_mb']:.0f}) | {q6['peak_largest_mb']:.0f} |"
        )
    lines.append(
        f"\nDyad / Datasette (speed of the SQLite export): {_ratio(b6['seconds'], a6['seconds'])}"
    )
    lines += _memory(results)
    floor = results["floor_sqlite"]
    lines += [
        "",
        "## Dyad at one connection against the SQL floor (SQLite)",
        "",
        "The floor: the SELECTs one request runs, replayed in-process on a bare connection "
        "with every row fetched (median). The rest of p50 is Python: routing, validation, "
        "ORM, serialisation, HTTP.",
        "",
        "| query | p50 ms at 1 connection | SQL floor ms | statements | p50 / floor |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, label in QUERY_NAMES.items():
        p50 = dy[f"{name}_c1"]["p50_us"] / 1000
        sql = floor[name]["seconds"] * 1000
        lines.append(
            f"| {label} | {p50:.1f} | {sql:.2f} | {floor[name]['statements']} "
            f"| {p50 / sql if sql else 0:.1f} |"
        )
    lines.append(
        f"| Q6 export | {a6['seconds'] * 1000:.0f} | {floor['q6']['seconds'] * 1000:.0f} "
        f"| {floor['q6']['statements']} | {a6['seconds'] / floor['q6']['seconds']:.1f} |"
    )
    if pg:
        lines += [
            "",
            "## Dyad on PostgreSQL beside SQLite (both as `dyad serve` runs by default)",
            "",
            "| query | SQLite req/s | p50 ms | PostgreSQL req/s | p50 ms | p99 ms "
            "| SQL floor ms (PostgreSQL) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, label in QUERY_NAMES.items():
            a, p = dy[name], pg[name]
            pf = results.get("floor_postgres", {}).get(name, {}).get("seconds", 0) * 1000
            lines.append(
                f"| {label} | {a['rps']:.0f} | {_ms(a['p50_us'])} | {p['rps']:.0f} "
                f"| {_ms(p['p50_us'])} | {_ms(p['p99_us'])} | {pf:.2f} |"
            )
    pg1 = results.get("dyad_postgres_1")
    if pg and pg1:
        lines += [
            "",
            "## Dyad on PostgreSQL: one worker and the default",
            "",
            "| query | 1 worker req/s | p50 ms | default req/s | p50 ms | default / 1 |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, label in QUERY_NAMES.items():
            one, two = pg1[name], pg[name]
            lines.append(
                f"| {label} | {one['rps']:.0f} | {_ms(one['p50_us'])} | {two['rps']:.0f} "
                f"| {_ms(two['p50_us'])} | {_ratio(two['rps'], one['rps'])} |"
            )
    lines += _growth(results)
    lines += ["", "## Import (`dyad import`, one file, one transaction)", ""]
    lines += [
        "| database | seconds | events/s | peak RSS MB | measured |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for label, key in (("SQLite", "import_sqlite"), ("PostgreSQL", "import_postgres")):
        if key in results:
            imp = results[key]
            lines.append(
                f"| {label} | {imp['seconds']:.0f} | {imp['events_per_s']:,.0f} "
                f"| {imp.get('peak_rss_mb', '')} | {imp.get('date', 'by an earlier run')} |"
            )
    lines += [
        "",
        "## Same answers",
        "",
        "Matches counted by each system (they must agree), and the page Q5 reached:",
        "",
        "| | Q1 matches | Q2 matches | Q3 events | Q5 page |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, key in (("Dyad", "dyad_sqlite"), ("Datasette", "datasette")):
        checks = results[key]["checks"]
        lines.append(
            f"| {label} | {checks['q1_total']} | {checks['q2_total']} | {checks['q3_events']} "
            f"| {results[key]['q5_page']} |"
        )
    earlier = path.read_text() if path.exists() else ""
    kept = {heading: section(earlier, heading) for heading in KEPT_HEADINGS}
    path.write_text("\n".join(lines) + "\n")
    for heading, body in kept.items():
        if body is not None:
            replace_section(path, heading, body)


# The goals of the benchmark: Dyad's requests/s over Datasette's on the same run, at least.
SPEED_GOALS = {"q1": 5.0, "q2": 5.0, "q3": 20.0, "q4": 3.0, "q5": 5.0}
EXPORT_GOAL = 3.0  # Datasette's seconds over Dyad's for the CSV of every event
EXPORT_RSS_MB = 200
IMPORT_GOAL = 20_000  # events/s into SQLite
IMPORT_GOAL_POSTGRES = 10_000
SIZE_GOAL = 2.5  # Dyad's SQLite file over the peer's, for the same events


def _goals(results: dict[str, Any]) -> list[str]:
    """Each goal beside what this run measured, met or not."""
    dy, ds = results["dyad_sqlite"], results["datasette"]

    def row(goal: str, measured: str, met: bool) -> str:
        return f"| {goal} | {measured} | {'met' if met else '**missed**'} |"

    lines = [
        "",
        "### Goals",
        "",
        "Set for 1,000,000 events; the growth goal (Q1, Q4 and Q5 at 1,000,000 within 1.3x of "
        "their p50 at 100,000) is in the growth table below, when both sizes have run.",
        "",
        "| goal | measured | |",
        "| --- | ---: | --- |",
    ]
    for name, times in SPEED_GOALS.items():
        ratio = dy[name]["rps"] / ds[name]["rps"] if ds[name]["rps"] else 0.0
        label = QUERY_NAMES[name].split(" ")[0]
        lines.append(
            row(f"{label}: {times:.0f}x Datasette's req/s", f"{ratio:.1f}x", ratio >= times)
        )
    q1, q5 = dy["q1"]["rps"], dy["q5"]["rps"]
    lines.append(row("Q5 no slower than Q1", f"{q5:.0f} vs {q1:.0f} req/s", q5 >= q1))
    a6, b6 = dy["q6"], ds["q6"]
    speed = b6["seconds"] / a6["seconds"]
    lines.append(
        row(f"Q6: {EXPORT_GOAL:.0f}x faster than Datasette", f"{speed:.1f}x", speed >= EXPORT_GOAL)
    )
    pss, rss = a6["peak_pss_mb"], a6["peak_rss_mb"]
    goal = f"Q6: server peak memory under {EXPORT_RSS_MB} MB (PSS of its processes, summed)"
    measured = f"{pss:.0f} MB (RSS summed: {rss:.0f} MB)"
    lines.append(row(goal, measured, pss < EXPORT_RSS_MB))
    for key, label, target in (
        ("import_sqlite", "SQLite", IMPORT_GOAL),
        ("import_postgres", "PostgreSQL", IMPORT_GOAL_POSTGRES),
    ):
        if key in results:
            rate = results[key]["events_per_s"]
            lines.append(
                row(f"import into {label}: {target:,} events/s", f"{rate:,.0f}", rate >= target)
            )
    sizes = results.get("sizes_mb")
    if sizes:
        ratio = sizes["dyad_sqlite"] / sizes["datasette"]
        measured = f"{sizes['dyad_sqlite']:,.0f} / {sizes['datasette']:,.0f} MB = {ratio:.2f}x"
        wanted = f"database at most {SIZE_GOAL}x the peer's bytes (history included)"
        lines.append(row(wanted, measured, ratio <= SIZE_GOAL))
    return lines


MEMORY_SERVERS = {
    "dyad_sqlite": "Dyad (SQLite), a worker per core",
    "dyad_sqlite_1": "Dyad (SQLite), 1 worker",
    "datasette": "Datasette",
    "dyad_postgres": "Dyad (PostgreSQL), a worker per core",
    "dyad_postgres_1": "Dyad (PostgreSQL), 1 worker",
}


def _memory(results: dict[str, Any]) -> list[str]:
    """Each server's memory at rest after Q1-Q5, as a whole and by its largest process."""
    lines = [
        "",
        "### Memory",
        "",
        "Read from /proc/PID/smaps_rollup of each server's processes (for `dyad serve`: the "
        "parent and the workers it forked, every descendant of the process started): at rest "
        "after Q1-Q5, and every 20 ms of the export above. PSS splits each page that n "
        "processes share between them, 1/n to each, so the PSS summed is what the server holds "
        "as a whole, the figure of the export's goal; RSS summed counts every shared page (the "
        "imported modules the workers share with their parent, libraries) once in each process; "
        "the largest process's RSS is the figure of one process (with several workers, a "
        "worker's: during the export, the one that writes it).",
        "",
        "| server at rest | processes | PSS summed MB | RSS summed MB | largest process's RSS MB |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key, label in MEMORY_SERVERS.items():
        at_rest = results.get(key, {}).get("memory")
        if at_rest:
            lines.append(
                f"| {label} | {at_rest['processes']} | {at_rest['pss_mb']:.0f} "
                f"| {at_rest['rss_mb']:.0f} | {at_rest['largest_mb']:.0f} |"
            )
    return lines


def _growth(results: dict[str, Any]) -> list[str]:
    """Dyad's p50 at one connection beside a run at another N (its results.json), if any."""
    n = results["n"]
    others = sorted(
        (int(path.parent.parent.name[1:]), path)
        for path in (HERE / "data").glob("n*/out/results.json")
        if path.parent.parent.name[1:].isdigit() and int(path.parent.parent.name[1:]) != n
    )
    if not others:
        return []
    smaller = [m for m, _ in others if m < n]
    base = max(smaller) if smaller else others[0][0]  # the goal compares 1M with 100k
    lines = [
        "",
        "## Growth: Dyad (SQLite) p50 at one connection at each size",
        "",
        "| query | " + " | ".join(f"{m:,} events" for m, _ in others) + f" | {n:,} events "
        f"| {n:,} / {base:,} |",
        "| --- |" + " ---: |" * (len(others) + 2),
    ]
    loaded = {m: json.loads(path.read_text()) for m, path in others}
    for name, label in QUERY_NAMES.items():
        p50s = {m: other["dyad_sqlite"][f"{name}_c1"]["p50_us"] for m, other in loaded.items()}
        mine = results["dyad_sqlite"][f"{name}_c1"]["p50_us"]
        cells = " | ".join(_ms(p) for p in p50s.values())
        lines.append(f"| {label} | {cells} | {_ms(mine)} | {mine / p50s[base]:.2f}x |")
    return lines


# --- the command -----------------------------------------------------------------------


def main(
    n: Annotated[int, typer.Option(help="How many events.")] = 1_000_000,
    duration: Annotated[int, typer.Option(help="Seconds of wrk per query.")] = 30,
    connections: Annotated[int, typer.Option(help="wrk connections.")] = 8,
    postgres: Annotated[
        str, typer.Option(help="PostgreSQL server URL; empty to skip PostgreSQL.")
    ] = "postgresql://postgres@127.0.0.1:5432",
    pg_database: Annotated[
        str, typer.Option(help="Scratch database to (re)create; dyad_bench_<N> when empty.")
    ] = "",
    reload: Annotated[
        bool, typer.Option(help="Load the databases again even if an earlier run did.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the generator.")] = 7,
    results_file: Annotated[Path, typer.Option("--results", help="Where to write.")] = (
        HERE / "RESULTS.md"
    ),
    load_only: Annotated[
        bool, typer.Option("--load-only", help="Generate and load the databases, then stop.")
    ] = False,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="Only Dyad's Q1, Q4 and Q5 on SQLite, then on PostgreSQL (2 workers each), "
            "printed as a table: for comparing the two within one run. Writes no RESULTS.md.",
        ),
    ] = False,
    memory_only: Annotated[
        bool,
        typer.Option(
            "--memory-only",
            help="Only `dyad serve`'s memory (a worker per core) on each database: at rest"
            " after Q1-Q5 (`--duration` seconds each), then at the Q6 export's peak; printed"
            " as JSON, no RESULTS.md.",
        ),
    ] = False,
    q6_only: Annotated[
        int,
        typer.Option(
            "--q6-only",
            help="Only time Q6 (each system's CSV export, this many times in turn); print it.",
        ),
    ] = 0,
) -> None:
    """Generate, load, serve and measure Dyad and Datasette; write RESULTS.md."""
    ensure_tools()
    data = HERE / "data" / f"n{n}"
    out = data / "out"
    out.mkdir(parents=True, exist_ok=True)
    meta_file = data / "meta.json"
    if not meta_file.exists() or json.loads(meta_file.read_text()).get("seed") != seed:
        say(f"generating {n:,} events")
        generate.write(n, data, seed)
    state_file = data / "loaded.json"
    state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}
    # The databases hold the events of one generation: another one means loading again.
    generation = hashlib.sha256(meta_file.read_bytes()).hexdigest()[:16]
    if state.get("generation") != generation:
        reload, state = True, {"generation": generation}

    sqlite_file = data / "dyad.db"
    sqlite_url = f"sqlite:///{sqlite_file}"
    if reload or "import_sqlite" not in state or not sqlite_file.exists():
        for stale in data.glob("dyad.db*"):
            stale.unlink()
        say("loading Dyad on SQLite: dyad import")
        state["import_sqlite"] = load_dyad(sqlite_url, data)
        state_file.write_text(json.dumps(state, indent=2))
    pg_url = ""
    pg_database = pg_database or f"dyad_bench_{n}"  # one per size: runs at two N coexist
    if postgres:
        pg_url = f"{postgres.replace('postgresql://', 'postgresql+psycopg://')}/{pg_database}"
        if reload or "import_postgres" not in state:
            say(f"loading Dyad on PostgreSQL ({pg_database}): dyad import")
            pg_url = recreate_postgres(postgres, pg_database)
            state["import_postgres"] = load_dyad(pg_url, data)
            state_file.write_text(json.dumps(state, indent=2))
    peer_file = data / "peer" / "bench.db"
    if reload or not peer_file.exists():
        peer_file.parent.mkdir(exist_ok=True)
        say("building the Datasette database")
        state["peer_build_seconds"] = peer.build(
            data / "events.ndjson", data / "refs" / "actors.json", peer_file
        )
        state_file.write_text(json.dumps(state, indent=2))

    if load_only:
        return
    # Databases loaded by an earlier run may predate the newest migration.
    for url in filter(None, (sqlite_url, pg_url)):
        subprocess.run([str(BIN / "dyad"), "migrate"], env=dyad_env(url), check=True)

    datasette_cmd = [
        str(BENCH_VENV / "bin" / "datasette"), "serve", "-i", str(peer_file),
        "--setting", "num_sql_threads", "8", "--port", str(port := free_port()),
        # Whole answers, as Dyad gives: the CSV is not cut at 100 MB, the timeline's rows
        # (months x types) not at 1,000, and no query stopped after a second.
        "--setting", "max_csv_mb", "0",
        "--setting", "max_returned_rows", "20000",
        "--setting", "sql_time_limit_ms", "60000",
    ]  # fmt: skip
    if q6_only:
        only_q6(q6_only, sqlite_url, pg_url, datasette_cmd, out)
        return
    ids = sample_ids(data / "events.ndjson", n, 1000)
    if memory_only:
        print(json.dumps(memory_run(sqlite_url, pg_url, ids, connections, duration, out)))
        return
    results: dict[str, Any] = {
        "n": n,
        "seed": seed,
        "duration": duration,
        "connections": connections,
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "machine": machine(),
        "versions": versions(),
        **{k: v for k, v in state.items() if k.startswith("import")},
    }

    results["sizes_mb"] = {
        "dyad_sqlite": sqlite_bytes(sqlite_file) / 2**20,
        "datasette": peer_file.stat().st_size / 2**20,
    }
    # Dyad as `make run` serves it (a worker per core), then one worker: per-process figures.
    dyad_cmd = [str(BIN / "dyad"), "serve"]
    if quick:
        quick_compare(dyad_cmd, {"sqlite": sqlite_url, "postgres": pg_url}, ids, connections,
                      duration, out)  # fmt: skip
        return
    with Server(
        "dyad", [*dyad_cmd, "--port", str(port := free_port())], dyad_env(sqlite_url), port,
        out / "dyad-server.log",
    ) as server:  # fmt: skip
        dyad_q = dyad_queries(server.fetch, ids)
        results["dyad_sqlite"] = measure(server, dyad_q, connections, duration, out, one=True)
    with Server(
        "dyad-1", [*dyad_cmd, "--workers", "1", "--port", str(port := free_port())],
        dyad_env(sqlite_url), port, out / "dyad-server-1.log",
    ) as server:  # fmt: skip
        results["dyad_sqlite_1"] = measure(
            server, dyad_q, connections, duration, out, one=False, q6=False
        )
    with Server("datasette", datasette_cmd, dict(os.environ), port, out / "ds.log") as server:
        peer_q = datasette_queries(server.base, ids)
        results["datasette"] = measure(server, peer_q, connections, duration, out, one=False)
    if pg_url:
        pg_cmd = [*dyad_cmd, "--port", str(port := free_port())]
        with Server("dyad-pg", pg_cmd, dyad_env(pg_url), port, out / "pg.log") as server:
            pg_q = dyad_queries(server.fetch, ids)
            results["dyad_postgres"] = measure(server, pg_q, connections, duration, out, False)
        # The same with one worker, for what a second process on the same cores adds.
        pg_cmd = [*dyad_cmd, "--workers", "1", "--port", str(port := free_port())]
        with Server("dyad-pg-1", pg_cmd, dyad_env(pg_url), port, out / "pg1.log") as server:
            results["dyad_postgres_1"] = measure(
                server, pg_q, connections, duration, out, one=False, q6=False
            )
    say("SQL floor (in-process)")
    results["floor_sqlite"] = sql_floor(sqlite_url, dyad_q, out)
    if pg_url:
        results["floor_postgres"] = sql_floor(pg_url, pg_q, out)
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    report(results, results_file)
    say(f"written {results_file}")


def quick_compare(
    dyad_cmd: list[str],
    urls: dict[str, str],
    ids: list[str],
    connections: int,
    duration: int,
    out: Path,
) -> None:
    """Q1, Q4 and Q5 of Dyad on each database in turn, and PostgreSQL's share of SQLite's;
    with the CPU time per request of Dyad's processes and of PostgreSQL's backends serving
    them (steadier than requests/s on a machine that others load too)."""
    rows: dict[str, dict[str, str]] = {}
    for name, url in urls.items():
        if not url:
            continue
        command = [*dyad_cmd, "--port", str(port := free_port())]
        with Server(f"quick-{name}", command, dyad_env(url), port, out / f"quick-{name}.log") as s:
            assert s.process is not None
            queries = dyad_queries(s.fetch, ids)
            ids_file = out / f"quick-{name}-q4-paths.txt"
            ids_file.write_text("\n".join(queries.q4_paths) + "\n")
            plan = {"q1": queries.q1, "q4": queries.q4_paths[0], "q5": queries.q5}
            for query, path in plan.items():
                warm(s.base + path)
                paths = ids_file if query == "q4" else None
                before = _cpu_seconds(s.process.pid, url)
                result = run_wrk(
                    s.base + path, connections, duration, paths, out / f"quick-{name}-{query}.txt"
                )
                after = _cpu_seconds(s.process.pid, url)
                us = {
                    side: sum(t - before[side].get(pid, 0) for pid, t in after[side].items())
                    / result["requests"]
                    * 1e6
                    for side in after
                }
                cell = f"{result['rps']:,.0f} ({us['dyad']:,.0f}+{us['postgres']:,.0f} us)"
                rows.setdefault(query, {})[name] = cell
                rows[query][f"{name}_rps"] = str(result["rps"])
                say(f"  {name} {query}: {cell}")
    names = [name for name, url in urls.items() if url]
    print("| query | " + " | ".join(f"{n}: req/s (Dyad+PostgreSQL CPU)" for n in names) + " |")
    print("|---|" + "---:|" * len(names))
    for query, cells in rows.items():
        print(f"| {query} | " + " | ".join(cells[n] for n in names) + " |")


def _cpu_seconds(server_pid: int, database_url: str) -> dict[str, dict[int, float]]:
    """The CPU time so far of the server's processes, and of the PostgreSQL backends
    connected to its database (none on SQLite), by process id."""
    backends: list[int] = []
    if not database_url.startswith("sqlite"):
        import psycopg

        server, _, name = database_url.replace("+psycopg", "").rpartition("/")
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            found = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchall()
            backends = [pid for (pid,) in found]

    def seconds(pids: list[int]) -> dict[int, float]:
        times = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            times[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return times

    return {"dyad": seconds(tree_pids(server_pid)), "postgres": seconds(backends)}


def memory_run(
    sqlite_url: str, pg_url: str, ids: list[str], connections: int, duration: int, out: Path
) -> dict[str, Any]:
    """`dyad serve` as it runs by default on each database: Q1-Q5's requests/s, the memory
    at rest after them, and the Q6 export's time and peak memory."""
    found: dict[str, Any] = {}
    for name, url in (("sqlite", sqlite_url), ("postgres", pg_url)):
        if not url:
            continue
        command = [str(BIN / "dyad"), "serve", "--port", str(port := free_port())]
        with Server(f"dyad-{name}", command, dyad_env(url), port, out / f"mem-{name}.log") as s:
            measured = measure(s, dyad_queries(s.fetch, ids), connections, duration, out, False)
        found[name] = {
            "rps": {q: round(measured[q]["rps"]) for q in ("q1", "q2", "q3", "q4", "q5")},
            "at_rest": {k: round(v, 1) for k, v in measured["memory"].items()},
            "q6": {k: round(v, 1) for k, v in measured["q6"].items()},
        }
        say(f"  {name}: {json.dumps(found[name])}")
    return found


def only_q6(times: int, sqlite_url: str, pg_url: str, datasette_cmd: list[str], out: Path) -> None:
    """Q6 alone: each system's CSV of every event, `times` rounds in turn (Dyad on SQLite,
    Datasette, Dyad on PostgreSQL), the servers started once; seconds, megabytes and peak
    PSS printed, with Dyad's speed as a ratio to Datasette's of the same round."""
    port = free_port()
    peer_port = int(datasette_cmd[datasette_cmd.index("--port") + 1])
    servers = [
        ("dyad", [str(BIN / "dyad"), "serve", "--port", str(port)], dyad_env(sqlite_url), port),
        ("datasette", datasette_cmd, dict(os.environ), peer_port),
    ]
    if pg_url:
        pg_port = free_port()
        pg_cmd = [str(BIN / "dyad"), "serve", "--port", str(pg_port)]
        servers.append(("dyad-pg", pg_cmd, dyad_env(pg_url), pg_port))
    paths = {"datasette": "/bench/events.csv?_stream=on&_size=max"}
    running = [Server(name, cmd, env, p, out / f"{name}-q6.log") for name, cmd, env, p in servers]
    for server in running:
        server.__enter__()
    try:
        for _ in range(times):
            got: dict[str, dict[str, Any]] = {}
            for server in running:
                assert server.process is not None
                url = server.base + paths.get(server.name, "/v1/events?format=csv")
                got[server.name] = export(url, server.process.pid)
            for name, result in got.items():
                ratio = got["datasette"]["seconds"] / result["seconds"]
                say(
                    f"  q6 {name}: {result['seconds']:.2f} s (server CPU "
                    f"{result['server_cpu_seconds']:.2f} s), {result['bytes'] / 1e6:.1f} MB, "
                    f"{result['lines']:,} lines, peak PSS {result['peak_pss_mb']:.0f} MB "
                    f"(before {result['pss_before_mb']:.0f}); Datasette / it {ratio:.2f}x"
                )
    finally:
        for server in running:
            server.__exit__()


def sqlite_bytes(database: Path) -> int:
    """The size of a SQLite database with its write-ahead log folded in."""
    import sqlite3

    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return database.stat().st_size


def sample_ids(events_file: Path, n: int, count: int) -> list[str]:
    """`count` event ids spread evenly through the file (deterministic)."""
    step = max(1, n // count)
    with events_file.open("rb") as file:
        ids = [orjson.loads(line)["id"] for i, line in enumerate(file) if i % step == 0]
    return ids[:count]


if __name__ == "__main__":
    typer.run(main)
