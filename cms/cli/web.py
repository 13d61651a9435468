"""Web command: `serve [--host 127.0.0.1] [--port 8080] [--threads 16] [--processes 1]`."""
from __future__ import annotations

import argparse
import sys

from . import UsageError, boot_from


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="serve the site and the admin over HTTP (waitress)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.add_argument("--threads", type=int, default=16,
                       help="request threads, each with its own database connection (default 16)")
    serve.add_argument("--processes", type=int, default=1,
                       help="server processes sharing the port, one per core at most (default 1)")
    serve.add_argument("--no-lazy-cron", action="store_true",
                       help="do not run LazyCron events from web traffic")
    serve.set_defaults(func=cmd_serve)


def site_factory(args: argparse.Namespace):
    """Boot the site the global options name (each server thread calls it once)."""
    return lambda: boot_from(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from ..web.server import serve
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0..65535, not {args.port}")
    if not 1 <= args.threads <= 256:
        raise UsageError(f"--threads must be 1..256, not {args.threads}")
    if not 1 <= args.processes <= 64:
        raise UsageError(f"--processes must be 1..64, not {args.processes}")
    from .site import port_problem
    problem = port_problem(args.host, args.port)     # a name that does not resolve, a port in use
    if problem:
        print(f"cms: error: cannot listen on {args.host}:{args.port}: {problem}", file=sys.stderr)
        return 1
    site = boot_from(args)      # a wrong database URL fails here, with one line, before binding
    try:
        if not [user for user in site.users.all() if not user.is_guest()]:
            print("cms: nobody can log in to the admin yet: add a user with "
                  "`python run.py user add NAME --superuser`", file=sys.stderr)
    finally:
        site.close()

    def started(server) -> None:
        print(f"cms: serving {server.url} (admin: {server.url}admin/); Ctrl-C stops",
              file=sys.stderr, flush=True)

    try:
        serve(site_factory(args), args.host, args.port, args.threads, on_started=started,
              lazy_cron=not args.no_lazy_cron, processes=args.processes)
    except OSError as exc:
        print(f"cms: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0
