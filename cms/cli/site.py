"""Site commands: the demo (the default command), `migrate` and `check`."""
from __future__ import annotations

import argparse
import signal
import socket
import sys

from ..stop_signals import STOP_SIGNALS
from . import UsageError, boot_existing, boot_from


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="build the demo site if needed, then serve it with one "
                          "worker (what `python run.py` does with no command)")
    demo.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    demo.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    demo.add_argument("--no-worker", action="store_true", help="serve without a worker process")
    demo.set_defaults(func=cmd_demo)
    migrate = sub.add_parser("migrate", help="upgrade the database schema and the installed "
                             "modules to this release")
    migrate.set_defaults(func=cmd_migrate)
    check = sub.add_parser("check", help="check the page tree and schema; --repair mends them")
    check.add_argument("--repair", action="store_true", help="mend what is found")
    check.add_argument("--json", action="store_true", help="print the problems as JSON")
    check.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when the site is sound (or every problem was repaired), 1 otherwise."""
    import json

    from ..integrity import check_site
    site = boot_existing(args, upgrade=args.repair)
    problems = check_site(site, repair=args.repair)
    if args.json:
        print(json.dumps([{"kind": p.kind, "page": p.page_id, "detail": p.detail,
                           "repaired": p.repaired} for p in problems], indent=2))
    else:
        for problem in problems:
            print(problem)
        pages = site.db.scalar("SELECT COUNT(*) FROM pages")
        print(f"checked {pages} pages and {len(list(site.fields))} fields: "
              + ("no problems" if not problems else f"{len(problems)} problem(s)"
                 + (", all repaired" if args.repair and all(p.repaired for p in problems) else "")))
    return 0 if all(p.repaired for p in problems) else 1


def cmd_migrate(args: argparse.Namespace) -> int:
    """Upgrade the core schema, then every installed module whose version changed (Tasker's
    tables among them), so no upgrade is left for the next process to boot. Exit 1 when a
    module could not be loaded or upgraded."""
    from .. import schema
    from ..db import connect
    from ..site import Site, existing_site_dir, resolve_url
    folder = existing_site_dir(args.site)
    site = Site(connect(resolve_url(args.db, folder)), folder)
    try:
        done = schema.upgrade(site)
        print(f"schema upgraded: ran {', '.join(map(str, done))}" if done
              else f"schema is up to date (version {schema.schema_version(site)})")
        site.load_schema()
        site.notices.listen(say_module_change)
        site.modules.load_installed()
        return 1 if site.modules.load_errors else 0
    finally:
        site.close()


def say_module_change(notice) -> bool:
    """Print a module's upgrade as `migrate`'s own result, on stdout, and keep it out of the log
    on stderr, which said it a second time; a module's error is still logged there."""
    if notice.source != "modules" or notice.kind != "message":
        return False
    print(notice.text)
    return True


def cmd_demo(args: argparse.Namespace) -> int:
    """Demo site + serve + one worker, at http://127.0.0.1:8080/ unless told otherwise."""
    from ..demo import setup_demo, takes_the_demo
    from ..tasker.runners.worker import WorkerProcess
    from ..web.server import serve
    host, port = getattr(args, "host", "127.0.0.1"), getattr(args, "port", 8080)
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be 0..65535, not {port}")
    problem = port_problem(host, port)
    if problem:           # said before the admin user (and its one-time password) is made
        print(f"cms: error: cannot listen on {host}:{port}: {problem}; nothing was changed "
              "(choose another port: python run.py demo --port N)", file=sys.stderr)
        return 1
    site = boot_from(args)
    if not takes_the_demo(site):
        print(f"cms: error: the site in {site.site_dir} has pages of its own: the demo would add "
              "its pages, a module, tasks and an admin superuser to it; nothing was changed "
              "(serve this site with `python run.py serve`, or start the demo in an empty folder: "
              "`python run.py --site DIR`)", file=sys.stderr)
        site.close()
        return 1
    info = setup_demo(site)
    site_dir, url = site.site_dir, args.db
    site.close()
    with_worker = not getattr(args, "no_worker", False)
    worker = WorkerProcess(site_dir, url).start() if with_worker else None
    login = (f"password: {info['password']}   (shown once: write it down)" if info["password"]
             else "password: as printed on the first run (reset with "
                  "`python run.py user passwd admin`)")

    def started(server) -> None:
        lines = [f"cms demo: serving {server.url}",
                 f"  admin:    {server.url}admin/   user: {info['admin']}   {login}",
                 f"  tasks:    {server.url}admin/tasks/  ({import_news(info, with_worker)})",
                 f"  site dir: {site_dir}" + ("   worker log: worker.log" if worker else ""),
                 "  Ctrl-C stops the server" + (" and the worker." if worker else ".")]
        print("\n".join(lines), file=sys.stderr, flush=True)

    def terminate(signum, frame):
        raise SystemExit(0)    # so that `finally` stops the worker: it runs in its own session

    for signum in set(STOP_SIGNALS) - {signal.SIGINT}:     # SIGINT: KeyboardInterrupt, as ever
        signal.signal(signum, terminate)
    try:
        serve(lambda: boot_from(args), host, port, on_started=started)
    except OSError as exc:
        print(f"cms: error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        if info["password"]:        # the port was taken a moment ago: keep the login anyway
            print(f"cms: the admin user {info['admin']} was created with {login}",
                  file=sys.stderr)
        return 1
    finally:
        if worker is not None:
            worker.stop()
    return 0


def port_problem(host: str, port: int) -> str:
    """Why `host:port` cannot be listened on now ("" when it can). Port 0 (any free port) is
    probed too: the bind checks the host, which waitress refuses with a ValueError."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return ""


def import_news(info: dict, with_worker: bool) -> str:
    """What the dictionary import is doing, said truthfully for this start."""
    task = info.get("importer")
    if task is None:
        return "the demo's import task was deleted"
    from ..tasker import TaskState
    state = int(task.get("task_state") or 0)
    if state == TaskState.FINISHED:
        return f"\"Import the dictionary\" finished earlier ({task.get('progress')}%); reset it " \
               "on its task page to watch it again"
    if state == TaskState.ACTIVE and with_worker:
        pace = info.get("words_per_second")
        return ("\"Import the dictionary\" is running in the background worker" +
                (f" at about {pace} words/s" if pace else "") + ": open it to watch")
    if state in (TaskState.ACTIVE, TaskState.WAITING):
        return "\"Import the dictionary\" waits: open it and press Run now to watch it"
    return f"\"Import the dictionary\" is {TaskState(state).label}: open it to see its log"
