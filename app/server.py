"""The program that `dyad serve` becomes once the database is migrated: uvicorn serving
app.main, with its workers, and nothing of the command line.

A process keeps what it has imported. `dyad serve` (app.cli) has imported typer, rich, httpx
and alembic, and run the migration; it executes this module as a new program in its place
(the same process id), which imports only what serving needs. So do the workers: uvicorn
starts them with multiprocessing's spawn, which imports the parent's main module in each, this
small one rather than the `dyad` script and everything it imports.
"""

import argparse
import logging.config
import shutil

import uvicorn

from app.core import logs


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
    try:
        uvicorn.run(
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
    finally:
        if args.remove_at_exit:
            shutil.rmtree(args.remove_at_exit, ignore_errors=True)


if __name__ == "__main__":
    main()
