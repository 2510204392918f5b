"""`callcenter points add|reverse|award` (supervisors): a manual entry with its reason,
a reversing entry, the zero-complaint month's award given by hand.  Who entered it
is the name given with --by and the system user running the command."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from callcenter.cli.context import CliContext
from callcenter.core.feature import Command
from callcenter.domain import ledger as lg
from callcenter.errors import LedgerError
from callcenter.ledger import service
from callcenter.ledger.settings import LedgerSettings


def _arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", required=True)
    add = sub.add_parser("add", help="a manual entry (or a praise letter) for an agent")
    add.add_argument("--agent", required=True, help="member interface, e.g. PJSIP/1001")
    kind = add.add_mutually_exclusive_group(required=True)
    kind.add_argument("--points", type=int, help="points, + or -")
    kind.add_argument("--praise", choices=("phone", "letter"),
                      help="praise by phone or letter: points from [ledger]")
    add.add_argument("--reason", required=True, help="why (kept with the entry)")
    add.add_argument("--by", required=True, help="the supervisor entering it")
    rev = sub.add_parser("reverse", help="undo an entry by a reversing entry")
    rev.add_argument("entry", type=int, help="the entry's id (callcenter report ledger)")
    rev.add_argument("--reason", required=True)
    rev.add_argument("--by", required=True)
    award = sub.add_parser("award", help="the zero-complaint month award (once per month)")
    award.add_argument("--month", required=True, help="e.g. 2026-10")


def _who(by: str) -> str:
    return f"{by.strip()} (cli:{getpass.getuser()})"[:64]


def _run(args: argparse.Namespace, ctx: CliContext) -> Any:
    settings = ctx.config.get(LedgerSettings)
    rules = settings.rules
    if args.what == "add":
        points, reason = args.points, lg.MANUAL
        if args.praise:
            reason = lg.PRAISE_LETTER if args.praise == "letter" else lg.PRAISE_PHONE
            points = rules.points_for(reason)
        entry = service.add_manual(ctx.engine, args.agent, points, args.reason, by=_who(args.by),
                                   now=ctx.now, max_points=settings.manual_max_points,
                                   reason=reason)
        return {"entry": entry, "agent": args.agent, "points": points, "reason": reason}
    if args.what == "reverse":
        return {"reversal": service.reverse(ctx.engine, args.entry, args.reason, _who(args.by),
                                            ctx.now), "reverses": args.entry}
    try:
        awarded = service.award_zero_complaint_month(ctx.engine, args.month, ctx.tz, rules, ctx.now)
    except ValueError as exc:
        raise LedgerError(str(exc)) from None
    return {"month": args.month, "awarded": awarded}


COMMANDS = (Command("points", "the points ledger: manual entries, reversals, awards",
                    _arguments, _run),)
