"""Site commands: `migrate` (explicit schema upgrade)."""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    migrate = sub.add_parser("migrate", help="upgrade the database schema to this release")
    migrate.set_defaults(func=cmd_migrate)


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
