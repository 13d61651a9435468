"""Site commands: the demo (the default command), `migrate` and `check`."""
from __future__ import annotations

import argparse
import signal
import sys

from . import UsageError, boot_from


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="build the demo site if needed, then serve it with one "
                          "worker (what `python run.py` does with no command)")
    demo.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    demo.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    demo.add_argument("--no-worker", action="store_true", help="serve without a worker process")
    demo.set_defaults(func=cmd_demo)
    migrate = sub.add_parser("migrate", help="upgrade the database schema to this release")
    migrate.set_defaults(func=cmd_migrate)
    check = sub.add_parser("check", help="check the page tree and schema; --repair mends them")
    check.add_argument("--repair", action="store_true", help="mend what is found")
    check.add_argument("--json", action="store_true", help="print the problems as JSON")
    check.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when the site is sound (or every problem was repaired), 1 otherwise."""
    import json

    from ..integrity import check_site
    site = boot_from(args, upgrade=False) if not args.repair else boot_from(args)
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
    from .. import schema
    from ..db import connect
    from ..site import Site, resolve_site_dir, resolve_url
    folder = resolve_site_dir(args.site)
    site = Site(connect(resolve_url(args.db, folder)), folder)
    done = schema.upgrade(site)
    print(f"schema upgraded: ran {', '.join(map(str, done))}" if done
          else f"schema is up to date (version {schema.schema_version(site)})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Demo site + serve + one worker, at http://127.0.0.1:8080/ unless told otherwise."""
    from ..demo import setup_demo
    from ..tasker.runners.worker import WorkerProcess
    from ..web.server import serve
    host, port = getattr(args, "host", "127.0.0.1"), getattr(args, "port", 8080)
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be 0..65535, not {port}")
    site = boot_from(args)
    info = setup_demo(site)
    site_dir, url = site.site_dir, args.db
    site.close()
    worker = None if getattr(args, "no_worker", False) else WorkerProcess(site_dir, url).start()

    def started(server) -> None:
        lines = [f"cms demo: serving {server.url}",
                 f"  admin:    {server.url}admin/   user: {info['admin']}   "
                 + (f"password: {info['password']}   (shown once: write it down)"
                    if info["password"] else "password: as printed on the first run "
                    "(reset with `python run.py user passwd admin`)"),
                 f"  tasks:    {server.url}admin/tasks/  (\"Import the dictionary\" runs in the "
                 "background worker; open it to watch, or press Run now)",
                 f"  site dir: {site_dir}" + ("   worker log: worker.log" if worker else ""),
                 "  Ctrl-C stops the server and the worker."]
        print("\n".join(lines), file=sys.stderr, flush=True)

    def terminate(signum, frame):
        raise SystemExit(0)    # so that `finally` stops the worker: it runs in its own session

    signal.signal(signal.SIGTERM, terminate)
    try:
        serve(lambda: boot_from(args), host, port, on_started=started)
    except OSError as exc:
        print(f"cms: error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        if worker is not None:
            worker.stop()
    return 0
