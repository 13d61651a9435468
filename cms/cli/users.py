"""User and role commands: `user add NAME [--superuser] [--role R] [--email E]`,
`user passwd NAME`, `user list [--json]`, `role add NAME [--permission P ...]`,
`role list [--json]`.

Passwords are never taken from the command line (it shows in `ps` and shell history): they are
read from a prompt when stdin is a terminal, else as one line from stdin
(`echo "$PASSWORD" | python run.py user add admin --superuser`).
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys

from ..errors import ValidationError
from . import UsageError, boot_existing, boot_from


def register(sub: argparse._SubParsersAction) -> None:
    user = sub.add_parser("user", help="add users, change passwords, list users")
    actions = user.add_subparsers(dest="user_command", metavar="ACTION", parser_class=type(user))
    user.set_defaults(func=cmd_missing_action)

    add = actions.add_parser("add", help="add a user (password from a prompt or stdin)")
    add.add_argument("name", help="user name (sanitized as a page name: lowercase, a-z 0-9 - _ .)")
    add.add_argument("--superuser", action="store_true", help="give the user the superuser role")
    add.add_argument("--role", action="append", default=[], metavar="ROLE",
                     help="give the user this role (repeatable); every user has the guest role")
    add.add_argument("--email", default="", help="the user's email address")
    add.set_defaults(func=cmd_add)

    passwd = actions.add_parser("passwd", help="set a user's password (from a prompt or stdin)")
    passwd.add_argument("name")
    passwd.set_defaults(func=cmd_passwd)

    listing = actions.add_parser("list", help="list users with their roles")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(func=cmd_list)

    role = sub.add_parser("role", help="add and list roles")
    role_actions = role.add_subparsers(dest="role_command", metavar="ACTION", parser_class=type(role))
    role.set_defaults(func=cmd_role_missing_action)
    role_add = role_actions.add_parser("add", help="add a role holding permissions")
    role_add.add_argument("name", help="role name (sanitized as a page name)")
    role_add.add_argument("--permission", action="append", default=[], metavar="PERMISSION",
                          help="a permission the role holds (repeatable): page-view, page-edit, "
                               "page-add, page-create, page-delete, page-move, page-sort, "
                               "page-lock, tasker-admin or one a module added")
    role_add.set_defaults(func=cmd_role_add)
    role_list = role_actions.add_parser("list", help="list roles with their permissions")
    role_list.add_argument("--json", action="store_true", help="print a JSON list")
    role_list.set_defaults(func=cmd_role_list)


def cmd_missing_action(args: argparse.Namespace) -> int:
    raise UsageError("`user` needs an action: add, passwd or list (see `user --help`)")


def read_password() -> str:
    """The new password: prompted twice on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != first:
            raise ValidationError("the two passwords differ; nothing was changed", field="pass",
                                  rule="confirm")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_add(args: argparse.Namespace) -> int:
    site = boot_from(args)
    roles = (["superuser"] if args.superuser else []) + args.role
    site.users.exact_name(args.name)
    user = site.users.add(args.name, read_password(), roles=roles, email=args.email)
    print(f"user {user.name!r} added (id {user.id}, roles: {', '.join(user.role_names())})")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    site = boot_existing(args)
    user = site.users.named(args.name)      # NAME, even of digits: users[...] reads those as an id
    if not user:
        raise ValidationError(f"no user {args.name!r}", field="name", value=args.name, rule="exists")
    site.users.set_password(user, read_password())
    print(f"password of {user.name!r} changed")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    site = boot_existing(args)
    rows = [{"id": u.id, "name": u.name, "email": u.get("email") or "", "roles": u.role_names()}
            for u in site.users.all()]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            email = f" <{row['email']}>" if row["email"] else ""
            print(f"{row['id']:>6}  {row['name']}{email}  [{', '.join(row['roles'])}]")
    return 0


def cmd_role_missing_action(args: argparse.Namespace) -> int:
    raise UsageError("`role` needs an action: add or list (see `role --help`)")


def cmd_role_add(args: argparse.Namespace) -> int:
    site = boot_from(args)
    clean = site.users.exact_name(args.name, "role")
    if clean and site.users.role(clean):
        raise ValidationError(f"a role named {clean!r} exists already", field="name", value=clean,
                              rule="unique")
    role = site.users.add_role(args.name, args.permission)
    granted = ", ".join(p.name for p in role.permissions) or "no permissions"
    print(f"role {role.name!r} added (id {role.id}: {granted})")
    return 0


def cmd_role_list(args: argparse.Namespace) -> int:
    site = boot_existing(args)
    every = [p.name for p in site.users.permissions()]
    # superuser holds every permission without a stored one: say so, not "[]"
    rows = [{"id": r.id, "name": r.name, "every_permission": r.name == "superuser",
             "permissions": every if r.name == "superuser" else [p.name for p in r.permissions]}
            for r in site.users.roles()]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            held = ("every permission" if row["every_permission"]
                    else ", ".join(row["permissions"]) or "no permissions")
            print(f"{row['id']:>6}  {row['name']}  [{held}]")
    return 0
