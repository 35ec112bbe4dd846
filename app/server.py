"""The program that `dyad serve` becomes once the database is migrated: uvicorn serving
app.main, with its workers, and nothing of the command line.

A process keeps what it has imported. `dyad serve` (app.cli) has imported typer, rich, httpx
and alembic, and run the migration; it executes this module as a new program in its place
(the same process id), which imports only what serving needs. With one worker, that process
serves. With several, it imports the application once and forks the workers (app.prefork),
which share those pages rather than each importing its own copy, as uvicorn's
multiprocessing spawn would have them do.
"""

import argparse
import logging.config
import shutil
import sys

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from app import prefork
from app.core import db, logs
from app.core.settings import get_settings


def preload(config: uvicorn.Config) -> None:
    """What the workers share, imported before they are forked: the app's modules and
    uvicorn's, and the database's driver, which an engine imports only when it is made."""
    prefork.preload(config)
    db.import_driver(get_settings().database_url)


def main(argv: list[str] | None = None) -> None:
    """Serve until stopped; the options are what `dyad serve` worked out."""
    parser = argparse.ArgumentParser(prog="python -m app.server")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--log-level", required=True)
    parser.add_argument("--log-format", choices=("json", "plain"), required=True)
    parser.add_argument("--remove-at-exit", help="A directory to remove when serving ends.")
    args = parser.parse_args(argv)
    log_config = logs.config(args.log_level, json_lines=args.log_format == "json")
    logging.config.dictConfig(log_config)
    config = uvicorn.Config(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        log_config=log_config,
        access_log=False,  # Dyad's own access log has the request id
        proxy_headers=True,
    )
    status = 0
    try:
        if args.workers > 1:
            status = prefork.Supervisor(config, args.workers, preload).run()
        else:
            server = uvicorn.Server(config)
            server.run()
            status = 0 if server.started else STARTUP_FAILURE
    except KeyboardInterrupt:
        pass
    finally:
        if args.remove_at_exit:
            shutil.rmtree(args.remove_at_exit, ignore_errors=True)
    if status:
        sys.exit(status)


if __name__ == "__main__":
    main()
