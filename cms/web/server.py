"""Serve the site and the admin with waitress: `serve(site_factory, host, port, threads)`.

Each waitress thread boots its own site with `site_factory` on its first request and keeps it
(and so its own database connection: peewee connections are per thread) for the next ones; a
connection idle for a minute is closed before the thread's next request. Sixteen threads by
default, so the admin's Run now steps (up to `ajax_timeout` seconds each) and the pollers of
progress bars do not wait for each other.

LazyCron (timed events) and Tasker's lazy steps run in the background of the server, each on a
site of its own (and so a connection of its own); the app signals them after each response,
and they skip their turn while more than half the threads are busy. Nothing runs in a
visitor's request.

`processes=N` (`serve --processes N`) forks N such servers on one socket, one per core: each
has its own interpreter lock, so N cores answer at once (see ServerGroup).

    from cms.web.server import serve
    serve(lambda: cms.boot(url, site_dir=folder), "127.0.0.1", 8080, threads=16,
          on_started=lambda server: print("listening on", server.url))
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import waitress
from waitress import wasyncore

from ..stop_signals import STOP_SIGNALS
from ..tasker.runners.executor import die_with_parent
from .app import SiteFactory, Web, make_app

log = logging.getLogger("cms.web")

DEFAULT_THREADS = 16
STOP_GRACE = 20.0        # seconds a server process has to stop before it is killed
# A request thread that waits for a query gets the interpreter back within this many seconds
# (CPython's default is 5 ms: with many threads each query could wait that long for its turn).
SWITCH_INTERVAL = float(os.environ.get("CMS_SWITCH_INTERVAL", "0.0005"))


class Server:
    """A waitress server around the app; `run()` blocks, `stop()` ends it from any thread."""

    def __init__(self, site_factory: SiteFactory, host: str = "127.0.0.1", port: int = 8080,
                 threads: int = DEFAULT_THREADS, lazy_cron: bool = True, web: Web | None = None,
                 sock: socket.socket | None = None, **waitress_options: Any):
        self.web = web or make_app(site_factory)
        self.threads = threads
        if site_factory is not None:
            self._prepare(site_factory)
        self.background: list[Any] = []
        if lazy_cron:
            self.background = self._background_runners(site_factory)
            self.web.background = self.background
        options = {"threads": threads, "connection_limit": max(100, threads * 8),
                   "channel_timeout": 120, "ident": "cms", "asyncore_use_poll": True,
                   "clear_untrusted_proxy_headers": False,
                   # waitress stores a body (up to 1 GB by default) before the app sees it: one
                   # far over the app's limit is refused as its headers arrive; one up to twice
                   # the limit still reaches the app, whose refusal says the limit in the admin
                   "max_request_body_size": 2 * self.web.max_body}
        options.update(waitress_options)
        # With more keep-alive pollers than threads a short queue is the normal state, and
        # waitress would log "Task queue depth is N" for most requests, under the lock its
        # threads take turns on: only its errors are logged.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        if sock is not None:            # a socket bound by the parent of several processes
            self.waitress = waitress.create_server(self.web, sockets=[sock], **options)
        else:
            self.waitress = waitress.create_server(self.web, host=host, port=port, **options)
        self.host = host
        self.port = int(getattr(self.waitress, "effective_port", port))
        self._stopped = threading.Event()

    def _prepare(self, site_factory: SiteFactory) -> None:
        """Read (or create, once per site) the session secret before the first visitor."""
        from ..site import Site
        site = site_factory if isinstance(site_factory, Site) else site_factory()
        try:
            self.web.codec(site)
        finally:
            if site is not site_factory:
                site.close()

    def _background_runners(self, site_factory: SiteFactory) -> list[Any]:
        """LazyCron's timed events, and Tasker's lazy steps when Tasker is installed: each on a
        site of its own, signalled after responses, waiting while the server is busy."""
        from ..lazycron import LazyCron
        from ..site import Site

        def own_site() -> Site:
            return site_factory if isinstance(site_factory, Site) else site_factory()

        def busy() -> bool:
            # Busy: more than half the threads are answering requests; lazy work waits.
            return self.web.in_flight > max(1, self.threads // 2)

        cron = LazyCron.for_site(own_site())
        cron.busy_check = busy
        runners: list[Any] = [cron]
        if cron.site.modules.is_installed("Tasker"):
            from ..tasker.runners.lazy import LazyRunner
            runners.append(LazyRunner.for_site(own_site(), busy_check=busy))
        return runners

    @property
    def url(self) -> str:
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        return f"http://{host}:{self.port}/"

    def run(self) -> None:
        """Serve until `stop()` (or Ctrl-C)."""
        if SWITCH_INTERVAL and sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            self.waitress.run()
        finally:
            self._shutdown()

    def stop(self) -> None:
        """End the server: the waitress loop closes its sockets in its own thread and returns."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        server = self.waitress
        try:
            server.trigger.pull_trigger(   # type: ignore[attr-defined]
                lambda: wasyncore.close_all(server._map))  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - no trigger (the loop has ended): close here
            wasyncore.close_all(server._map)  # type: ignore[attr-defined]

    def _shutdown(self) -> None:
        self._stopped.set()
        with contextlib.suppress(Exception):     # threads that are gone already
            self.waitress.task_dispatcher.shutdown(timeout=5)
        for runner in self.background:
            runner.stop(timeout=10)
        self.web.pool.close_all()

    def start_in_thread(self) -> threading.Thread:
        """Run the server in a daemon thread (tests, `python run.py` with a worker beside it)."""
        thread = threading.Thread(target=self.run, name="cms-http", daemon=True)
        thread.start()
        return thread


class ServerGroup:
    """Several server processes answering on one listening socket, as gunicorn's workers.

    Each process has its own threads, sites and connections, and its own interpreter lock, so
    N processes use N cores. The parent binds the socket, forks the processes (call it from a
    process without other threads), restarts one that dies, and on SIGTERM or Ctrl-C stops
    them all; if the parent itself is killed, they die with it (Linux: PR_SET_PDEATHSIG).
    LazyCron and the lazy task steps run in the first process only. Per-process state is only
    what may differ without harm: the login slow-down counts, short caches.
    """

    def __init__(self, site_factory: SiteFactory, host: str = "127.0.0.1", port: int = 8080,
                 threads: int = DEFAULT_THREADS, processes: int = 2, lazy_cron: bool = True):
        self.site_factory = site_factory
        self.threads = threads
        self.processes = processes
        self.lazy_cron = lazy_cron
        self.host = host
        self.children: dict[int, int] = {}      # pid -> index
        self._stopping = 0.0            # when stop() was first called (monotonic)
        # SIGINT and SIGTERM only set a flag (Ctrl-C reaches the whole process group, and the
        # children stop on their own). They are in place before the port is bound, so a stop
        # sent as soon as it answers is not lost (where SIGINT came ignored, as a command a
        # script starts in the background inherits it, it would be).
        self._handlers = {number: signal.signal(number, lambda *_: self.stop())
                          for number in STOP_SIGNALS}
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
            self.sock.listen(1024)
        except BaseException:
            self.sock.close()
            self._restore_handlers()
            raise
        self.port = self.sock.getsockname()[1]

    @property
    def url(self) -> str:
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        return f"http://{host}:{self.port}/"

    def _fork(self, index: int) -> None:
        # Signals wait while the process forks: a Ctrl-C that reached a child before its own
        # handlers were in place ran the parent's, and the child served on with nobody to stop it.
        # The parent records the child before the signals come through: a stop that ran
        # first would not send the new child its SIGTERM. A stop handled before the block (a
        # handler runs at the next bytecode, after run() looked) forks none: the new process
        # would have missed both the Ctrl-C and the SIGTERM.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        parent = os.getpid()
        try:
            if self._stopping:
                return
            pid = os.fork()
            if pid:
                self.children[pid] = index
        finally:
            if os.getpid() == parent:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        if pid:
            return
        code = 0
        try:                    # nothing may leave this function in the child, not even Ctrl-C
            # Die with the parent, as a worker's step processes do: a SIGKILLed parent must
            # not leave processes that keep the port and serve old code.
            die_with_parent()
            if os.getppid() != parent:       # it died before prctl took effect
                os._exit(1)
            for number in STOP_SIGNALS:
                signal.signal(number, _interrupt_once)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            server = Server(self.site_factory, self.host, self.port, self.threads,
                            lazy_cron=self.lazy_cron and index == 0, sock=self.sock)
            server.run()
        except KeyboardInterrupt:
            pass
        except BaseException:
            log.exception("server process %d failed", os.getpid())
            code = 1
        finally:
            os._exit(code)

    def run(self) -> None:
        """Start the processes and wait for them; returns once all have stopped.

        A stop (see `__init__`) that came before forks none. The parent polls for ended
        children rather than blocking in wait(), so that a child which does not stop within
        STOP_GRACE seconds of the stop is killed instead of keeping the parent, and the port,
        forever.
        """
        try:
            for index in range(self.processes):
                if not self._stopping:
                    self._fork(index)
            while self.children:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:        # none left to wait for
                    break
                if not pid:
                    self._kill_late_children()
                    time.sleep(0.1)
                    continue
                index = self.children.pop(pid, None)
                if index is None or self._stopping:
                    continue
                log.error("server process %d ended (status %d); starting another", pid, status)
                time.sleep(1)            # a crash loop must not spin; a stop may arrive meanwhile
                if not self._stopping:
                    self._fork(index)
        finally:
            self._restore_handlers()
            self.sock.close()

    def _restore_handlers(self) -> None:
        for number, handler in self._handlers.items():
            signal.signal(number, handler)

    def stop(self) -> None:
        """Ask every process to finish (SIGTERM); `run()` returns when they have."""
        if not self._stopping:
            self._stopping = time.monotonic()
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _kill_late_children(self) -> None:
        if self._stopping and time.monotonic() - self._stopping > STOP_GRACE:
            for pid in list(self.children):
                log.error("server process %d did not stop; killing it", pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self._stopping = time.monotonic()


def _interrupt_once(signum: int, frame: Any) -> None:
    """A server process stops at the first SIGINT or SIGTERM; the ones after it (Ctrl-C
    reaches the group, then the parent sends SIGTERM) would break its shutdown halfway. They
    find a handler that does nothing, not SIG_IGN: Python reports one that had come already,
    and finds its handler gone, as "OSError: Signal 15 ignored due to race condition"."""
    for number in STOP_SIGNALS:
        signal.signal(number, _stopping_already)
    raise KeyboardInterrupt


def _stopping_already(signum: int, frame: Any) -> None:
    """A stop signal after the first (see _interrupt_once): the process is stopping."""


def serve(site_factory: SiteFactory, host: str = "127.0.0.1", port: int = 8080,
          threads: int = DEFAULT_THREADS, on_started: Callable[[Any], Any] | None = None,
          lazy_cron: bool = True, processes: int = 1) -> None:
    """Serve the site until interrupted. `on_started(server)` runs once the port is bound
    (`server.url`, `server.port`; `server.stop()` ends `serve` from another thread).

    `processes` > 1 forks that many server processes on one socket (see ServerGroup).
    """
    if processes > 1:
        group = ServerGroup(site_factory, host, port, threads, processes, lazy_cron)
        _started(group, processes, threads, on_started)
        group.run()
        return
    if threading.current_thread() is not threading.main_thread():
        server = Server(site_factory, host, port, threads, lazy_cron=lazy_cron)
        _started(server, processes, threads, on_started)
        server.run()
        return
    # One process stops at Ctrl-C or SIGTERM as each of a group's processes does, even where
    # SIGINT came ignored (a command started in the background by a script inherits that,
    # and Python then installs no KeyboardInterrupt for it): waitress ends its loop on the
    # KeyboardInterrupt and Server.run shuts down. The handlers are in place before the port
    # is bound, so a stop sent as soon as it answers is not lost: one that comes before the
    # loop runs (on_started, say) shuts the server down the same way, and `serve` returns.
    previous = {number: signal.signal(number, _interrupt_once) for number in STOP_SIGNALS}
    server = None
    try:
        server = Server(site_factory, host, port, threads, lazy_cron=lazy_cron)
        _started(server, processes, threads, on_started)
        server.run()
    except KeyboardInterrupt:
        if server is not None and not server._stopped.is_set():    # run() had not begun
            server.waitress.close()
            server._shutdown()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _started(server: Server | ServerGroup, processes: int, threads: int,
             on_started: Callable[[Any], Any] | None) -> None:
    log.info("serving %s with %d process(es) of %d threads", server.url, processes, threads)
    if on_started is not None:
        on_started(server)
