"""Several uvicorn workers forked from one parent that imported the application once.

uvicorn's own supervisor starts its workers with multiprocessing's spawn: each is a new Python
that imports FastAPI, SQLAlchemy, pydantic and every module of Dyad again, about 80 MB a
worker that nothing shares. Here the parent imports them (`app.main` and what uvicorn will
load), freezes what it holds out of the garbage collector's reach, and forks: the workers
start with the parent's pages, shared copy-on-write, and PSS counts each shared page once
across them all. The parent creates no app, no database engine and no connection: each
worker makes its own after the fork, as uvicorn's `create_app` factory call.

The parent, like uvicorn's: SIGINT or SIGTERM stops every worker with SIGTERM, each finishing
the requests it is serving (a second SIGINT makes them stop at once); SIGHUP replaces every
worker; a worker that dies is replaced, unless it failed while starting (the app cannot load,
so neither would a new one), which stops the server with uvicorn's STARTUP_FAILURE status.
No thread, no multiprocessing (so no resource tracker process).
"""

import contextlib
import gc
import logging
import os
import select
import signal
import sys
from collections.abc import Callable
from types import FrameType

import uvicorn
from uvicorn.config import HTTP_PROTOCOLS, LIFESPAN, STARTUP_FAILURE, WS_PROTOCOLS
from uvicorn.importer import import_from_string

logger = logging.getLogger("uvicorn.error")

STOP = (signal.SIGINT, signal.SIGTERM)
HANDLED = (*STOP, signal.SIGHUP, signal.SIGCHLD)


def preload(config: uvicorn.Config) -> None:
    """Import, without calling, what a worker's `config.load()` imports: the application's
    module (its factory is called in each worker), uvicorn's protocol, lifespan and event loop
    modules. Then nothing a worker imports at start is its own copy."""
    config.load_app()
    for chosen, known in ((config.http, HTTP_PROTOCOLS), (config.ws, WS_PROTOCOLS)):
        if isinstance(chosen, str) and (name := known.get(chosen, chosen)):
            import_from_string(name)
    import_from_string(LIFESPAN[config.lifespan])
    config.get_loop_factory()  # imports uvloop; makes no loop


class Supervisor:
    """Forks `workers` uvicorn servers on one listening socket and keeps them running."""

    def __init__(
        self,
        config: uvicorn.Config,
        workers: int,
        preload: Callable[[uvicorn.Config], None] = preload,
    ) -> None:
        self.config = config
        self.workers = workers
        self.preload = preload
        self.pids: set[int] = set()
        self.retiring: set[int] = set()  # replaced on SIGHUP, finishing what they serve
        self.stopping = False
        self.status = 0
        self.signals: list[int] = []

    def run(self) -> int:
        """Serve until a stop signal; the exit status for the program."""
        self.preload(self.config)
        gc.collect()  # the imports' garbage, before it is frozen in with what the workers share
        self.sock = self.config.bind_socket()
        # Signals wake the loop through this pipe at once, SIGCHLD (a worker exited) too.
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        for sig in HANDLED:
            signal.signal(sig, self._on_signal)
        logger.info("Started parent process [%d]", os.getpid())
        try:
            for _ in range(self.workers):
                self._fork()
            while self.pids:
                select.select([self.wake_r], [], [], 1.0)
                with contextlib.suppress(BlockingIOError):
                    os.read(self.wake_r, 512)
                self._handle_signals()
                self._reap()
        finally:
            signal.set_wakeup_fd(-1)
            os.close(self.wake_r)
            os.close(self.wake_w)
            self.sock.close()
        logger.info("Stopping parent process [%d]", os.getpid())
        return self.status

    def _on_signal(self, sig: int, _frame: FrameType | None) -> None:
        self.signals.append(sig)

    def _handle_signals(self) -> None:
        while self.signals:
            sig = self.signals.pop(0)
            if sig in STOP:
                if not self.stopping:
                    logger.info("Received %s, exiting.", signal.Signals(sig).name)
                    self._stop()
                elif sig == signal.SIGINT:  # a second Ctrl-C: uvicorn then exits at once
                    self._send(signal.SIGINT, self.pids)
            elif sig == signal.SIGHUP and not self.stopping:
                logger.info("Received SIGHUP, restarting processes.")
                # The new workers accept once ready; until then the listening socket's backlog
                # holds new connections. The old ones finish what they serve, then exit.
                old = set(self.pids)
                self.retiring |= old
                for _ in range(self.workers):
                    self._fork()
                self._send(signal.SIGTERM, old)

    def _stop(self) -> None:
        self.stopping = True
        self._send(signal.SIGTERM, self.pids)

    def _send(self, sig: int, pids: set[int]) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
                if sig == signal.SIGTERM:
                    logger.info("Terminated child process [%d]", pid)

    def _reap(self) -> None:
        """Collect the workers that exited; replace each, unless serving is ending."""
        while self.pids:
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:  # none left
                self.pids.clear()
                return
            if pid == 0:
                return
            self.pids.discard(pid)
            code = os.waitstatus_to_exitcode(wait_status)
            if self.stopping or pid in self.retiring:
                self.retiring.discard(pid)
            elif code == STARTUP_FAILURE:  # the app cannot start: a new worker would not
                logger.error("Child process [%d] failed to start, stopping the server.", pid)
                self.status = STARTUP_FAILURE
                self._stop()
            else:
                logger.warning("Child process [%d] died (exit status %d)", pid, code)
                self._fork()

    def _fork(self) -> None:
        # What the parent holds now stays out of the collector's passes in the worker: they
        # would write to every object's header, so to every shared page. Measured at 100,000
        # events, two workers: 157 MB (PSS summed) at rest after Q1-Q5 with it, 199 without.
        gc.freeze()
        sys.stdout.flush()
        sys.stderr.flush()
        # Signals wait until the worker has its own handlers: a SIGTERM caught by the
        # parent's, in the worker, would be lost, and the parent would wait for it forever.
        signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
        pid = os.fork()
        if pid:
            self.pids.add(pid)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, HANDLED)
            return
        os._exit(self._work())  # never the parent's cleanup (its finally blocks, atexit)

    def _work(self) -> int:
        """A worker's life, after the fork: serve until stopped; the exit status."""
        status = 1
        try:
            # The parent's signal handling and wake-up pipe are not the worker's.
            signal.set_wakeup_fd(-1)
            os.close(self.wake_r)
            os.close(self.wake_w)
            for sig in HANDLED:
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, HANDLED)
            server = uvicorn.Server(self.config)
            server.run(sockets=[self.sock])  # the app, its engine: made here, in config.load()
            status = 0 if server.started else STARTUP_FAILURE
        except KeyboardInterrupt:  # uvicorn raises again the SIGINT it stopped on
            status = 0
        except SystemExit as exit:
            status = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            logger.exception("Worker [%d] failed", os.getpid())
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        return status
