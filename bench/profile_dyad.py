"""Where Dyad's time goes: pyinstrument profiles of Q1-Q6 and of `dyad import`.

Uses what `bench/run.py` loaded (bench/data/n<N>/dyad.db). Requests run in-process on one
thread (bench/inproc.py), so the profile shows the whole request: routing, validation, the
ORM, the SQL, serialisation. Writes bench/data/n<N>/out/profile-*.txt and prints the mean
time of each request without the profiler.
"""

import importlib.util
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import inproc  # noqa: E402
import run  # noqa: E402


def render(profiler: Any) -> str:
    """The call tree, library frames folded."""
    text: str = profiler.output_text(unicode=True, color=False, show_all=False)
    return text


def _package(path: str) -> str:
    """Whose code a file is: a package of the virtualenv, Dyad's, Python's, or C."""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/app/" in path:
        return "Dyad (app/)"
    if path.startswith("<"):
        return "C functions (SQLite, orjson, …)"
    return "Python's library"


def hottest(profiler: Any, count: int = 6) -> str:
    """Where a profile's time went, by whose code ran (the time of each function's own,
    summed by package): a profile's summary for RESULTS.md."""
    spent: Counter[str] = Counter()

    def walk(frame: Any, path: str) -> None:
        # Synthetic frames ([self], folded library calls) belong to their parent's file.
        path = path if frame.is_synthetic else (frame.file_path or "<built-in>")
        spent[_package(path)] += frame.total_self_time
        for child in frame.children:
            walk(child, path)

    walk(profiler.last_session.root_frame(), "")
    total = sum(spent.values()) or 1.0
    return ", ".join(f"{name} {t / total:.0%}" for name, t in spent.most_common(count))


def ensure_pyinstrument() -> None:
    """pyinstrument in this virtualenv (a profiler only the benchmark needs)."""
    if importlib.util.find_spec("pyinstrument") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "pyinstrument"])


def profile_queries(database_url: str, data: Path, n: int, out: Path, seconds: float) -> list[str]:
    """Profile each query in-process; the summary's table rows."""
    from pyinstrument import Profiler

    rows = []

    app = inproc.App(database_url)
    try:
        ids = run.sample_ids(data / "events.ndjson", n, 1000)
        queries = run.dyad_queries(lambda path: orjson.loads(app.get(path).body), ids)
        plan = {
            "q1": [queries.q1],
            "q2": [queries.q2],
            "q3": [queries.q3],
            "q4": queries.q4_paths,
            "q5": [queries.q5],
        }
        for name, paths in plan.items():
            for path in paths[:20]:  # warm the caches
                app.get(path)
            # Unprofiled first: the in-process time of one request.
            started, count = time.perf_counter(), 0
            while time.perf_counter() - started < seconds:
                app.get(paths[count % len(paths)])
                count += 1
            mean = (time.perf_counter() - started) / count * 1000
            profiler = Profiler(interval=0.0005)
            profiler.start()
            for i in range(count):
                app.get(paths[i % len(paths)])
            profiler.stop()
            text = render(profiler)
            header = f"{name}: {paths[0]}\n{count} requests, {mean:.2f} ms each unprofiled\n"
            (out / f"profile-{name}.txt").write_text(header + text)
            sys.stderr.write(f"{name}: {mean:.2f} ms per request in-process ({count} runs)\n")
            rows.append(f"| {run.QUERY_NAMES[name]} | {mean:.2f} ms | {hottest(profiler)} |")
        started = time.perf_counter()
        response = app.get(queries.q6, keep_body=False)
        plain = time.perf_counter() - started
        profiler = Profiler(interval=0.001)
        profiler.start()
        app.get(queries.q6, keep_body=False)
        profiler.stop()
        text = render(profiler)
        header = f"q6: {queries.q6}\n{response.size} bytes, {plain:.2f} s unprofiled\n"
        (out / "profile-q6.txt").write_text(header + text)
        sys.stderr.write(f"q6: {plain:.2f} s in-process\n")
        rows.append(f"| Q6 CSV of every event | {plain:.2f} s | {hottest(profiler)} |")
    finally:
        app.close()
    return rows


def profile_import(data: Path, out: Path) -> None:
    """`dyad import` of every event into a fresh SQLite file, under pyinstrument."""
    database = data / "profile-import.db"
    for stale in data.glob("profile-import.db*"):
        stale.unlink()
    url = f"sqlite:///{database}"
    env = run.dyad_env(url)
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "dyad"), "migrate"], env=env, check=True)
    run.load_refs(url, data, env)
    subprocess.run(
        [
            sys.executable, "-m", "pyinstrument", "--interval", "0.001",
            "-o", str(out / "profile-import.txt"),
            str(bin_dir / "dyad"), "import", str(data / "events.ndjson"), "--mode", "create",
        ],
        env=env,
        check=True,
    )  # fmt: skip
    for stale in data.glob("profile-import.db*"):
        stale.unlink()


def main(
    n: Annotated[int, typer.Option(help="The N of a loaded bench/data/n<N>.")] = 20_000,
    seconds: Annotated[float, typer.Option(help="Seconds of requests per query.")] = 5.0,
    postgres: Annotated[
        str, typer.Option(help="Also profile this loaded database URL (SQLAlchemy form).")
    ] = "",
    import_too: Annotated[bool, typer.Option("--import", help="Profile dyad import too.")] = (
        False
    ),
) -> None:
    """Profile Dyad's side of Q1-Q6 (and `dyad import`); write the profiles."""
    ensure_pyinstrument()
    data = HERE / "data" / f"n{n}"
    out = data / "out"
    out.mkdir(parents=True, exist_ok=True)
    rows = profile_queries(f"sqlite:///{data / 'dyad.db'}", data, n, out, seconds)
    if postgres:
        pg_out = out / "postgres"
        pg_out.mkdir(exist_ok=True)
        profile_queries(postgres, data, n, pg_out, seconds)
    if import_too:
        profile_import(data, out)
    versions = ", ".join(f"{k} {v}" for k, v in run.versions().items())
    summary = [
        "",
        f"Made by `make bench-profile` (bench/profile_dyad.py) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {n:,} events on SQLite, each request run "
        f"in-process on one thread, then again under pyinstrument. Machine: {run.machine()}. "
        f"Versions: {versions}. The whole trees are in bench/data/n{n}/out/profile-*.txt.",
        "",
        "| query | in-process time | where the time went, by whose code ran |",
        "| --- | ---: | --- |",
        *rows,
    ]
    run.replace_section(HERE / "RESULTS.md", run.PROFILES_HEADING, summary)


if __name__ == "__main__":
    typer.run(main)
