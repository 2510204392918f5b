"""`callcenter users add|passwd|phone|disable|enable|list`: who may sign in to the web pages.

Passwords are read from the terminal (twice) or, for scripts, one line from stdin
with --password-stdin; never from the command line, where `ps` would show them."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from callcenter.cli.context import CliContext
from callcenter.core.feature import Command
from callcenter.errors import UserError
from callcenter.users import service


def _arguments(users: argparse.ArgumentParser) -> None:
    users_sub = users.add_subparsers(dest="action", required=True)
    add = users_sub.add_parser("add")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=service.ROLES)
    add.add_argument("--interface", help="the agent's queue member, e.g. PJSIP/1001")
    add.add_argument("--name", default="", help="display name, e.g. 王芳")
    add.add_argument("--phone", help="a supervisor's own phone, rung to listen, whisper or "
                     "barge, e.g. PJSIP/2001")
    add.add_argument("--password-stdin", action="store_true")
    passwd = users_sub.add_parser("passwd")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    phone = users_sub.add_parser("phone", help="set (or clear, with no interface) a user's "
                                 "own phone, e.g. PJSIP/2001")
    phone.add_argument("username")
    phone.add_argument("interface", nargs="?", default="")
    for action in ("disable", "enable"):
        users_sub.add_parser(action).add_argument("username")
    users_sub.add_parser("list")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise UserError("the two passwords differ")
    return first


def _users(args: argparse.Namespace, ctx: CliContext) -> Any:
    engine = ctx.engine
    if args.action == "add":
        user = service.add_user(engine, args.username, _password(args.password_stdin),
                                args.role, ctx.now, display_name=args.name,
                                member_interface=args.interface, phone_interface=args.phone)
        return {"added": user.username, "role": user.role,
                "interface": user.member_interface or "", "phone": user.phone_interface or ""}
    if args.action == "phone":
        service.set_phone(engine, args.username, args.interface or None)
        return {"user": args.username, "phone": args.interface}
    if args.action == "passwd":
        service.set_password(engine, args.username, _password(args.password_stdin))
        return {"password_changed": args.username, "sessions": "signed out"}
    if args.action in ("disable", "enable"):
        service.set_disabled(engine, args.username, args.action == "disable")
        return {args.action + "d": args.username}
    return service.list_users(engine)


COMMANDS = (Command("users", "web users (supervisors, agents)", _arguments, _users),)
