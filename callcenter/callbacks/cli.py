"""`callcenter campaigns|contacts|attempts|dnc`: callback campaigns from the shell."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from callcenter.ami.settings import AmiSettings
from callcenter.callbacks import dnc, service
from callcenter.callbacks import report as export
from callcenter.callbacks.settings import (
    CallbackSettings,
    CallbacksSection,
    callback_settings,
    import_limits,
)
from callcenter.cli.context import CliContext
from callcenter.core.feature import Command
from callcenter.core.settings import CenterSettings
from callcenter.domain.callbacks import Outcome
from callcenter.domain.phone import PhoneNumber


def _settings(ctx: CliContext) -> CallbackSettings:
    return callback_settings(ctx.config.get(CallbacksSection), ctx.tz)


def _campaign_arguments(camp: argparse.ArgumentParser) -> None:
    camp_sub = camp.add_subparsers(dest="action", required=True)
    create = camp_sub.add_parser("create")
    create.add_argument("name")
    create.add_argument("--kind", default="followup", choices=["followup", "imported"])
    create.add_argument("--mode", default="customer_first",
                        choices=["customer_first", "agent_first"])
    create.add_argument("--agent", help="member interface for agent_first")
    create.add_argument("--deadline", help="3d (days after service), 1wd (working days), "
                        "25nm (by the 25th of next month); default from settings")
    create.add_argument("--max-in-flight", type=int,
                        help="calls at once for this campaign (default: the settings')")
    create.add_argument("--from-tickets-since", help="add the callers of tickets since (ISO date)")
    create.add_argument("--server", default="",
                        help="the [[ami]] server it dials through (default: spread over those up)")
    imp = camp_sub.add_parser("import")
    imp.add_argument("campaign", type=int)
    imp.add_argument("file", type=Path)
    camp_sub.add_parser("list")
    for action in ("show", "pause", "resume"):
        camp_sub.add_parser(action).add_argument("campaign", type=int)
    rep = camp_sub.add_parser("report")
    rep.add_argument("campaign", type=int)
    rep.add_argument("--csv", type=Path, help="write the report as CSV")
    rep.add_argument("--xlsx", type=Path, help="write the report as .xlsx")


def _campaigns(args: argparse.Namespace, ctx: CliContext) -> Any:
    engine, tz, now = ctx.engine, ctx.tz, ctx.now
    if args.action == "create":
        settings = _settings(ctx)
        campaign = service.create_campaign(engine, service.NewCampaign(
            args.name, args.kind, args.mode, args.agent,
            args.deadline or settings.followup_deadline,
            args.max_in_flight or settings.pacing.per_campaign, args.server), now,
            servers=[s.name for s in ctx.config.every(AmiSettings)])
        added = 0
        if args.from_tickets_since:
            since = datetime.fromisoformat(args.from_tickets_since).replace(tzinfo=tz).timestamp()
            added = service.add_from_tickets(engine, campaign, since, now, now, tz=tz,
                                             calendar=settings.window.calendar,
                                             phones=ctx.config.get(CenterSettings).phones)
        return {"id": campaign, "contacts_from_tickets": added}
    if args.action == "import":
        imported = service.import_file(engine, args.campaign, args.file, now, tz,
                                       calendar=_settings(ctx).window.calendar,
                                       limits=import_limits(ctx.config.get(CallbacksSection)),
                                       phones=ctx.config.get(CenterSettings).phones)
        return {"imported": len(imported.good),
                "rejected": [r.as_json() for r in imported.rejected]}
    if args.action == "list":
        return service.campaigns(engine, tz)
    if args.action in ("pause", "resume"):
        status = "paused" if args.action == "pause" else "active"
        service.set_status(engine, args.campaign, status)
        return {"id": args.campaign, "status": status}
    report = service.report(engine, args.campaign, now, tz)
    if getattr(args, "csv", None):
        export.write_csv(args.csv, report)
    if getattr(args, "xlsx", None):
        export.write_xlsx(args.xlsx, report)
    return report


def _attempt_arguments(att: argparse.ArgumentParser) -> None:
    att_sub = att.add_subparsers(dest="action", required=True)
    rec = att_sub.add_parser("record", help="record the outcome of an answered callback")
    rec.add_argument("attempt", type=int)
    rec.add_argument("--outcome", required=True, choices=[o.value for o in Outcome])
    rec.add_argument("--score", type=int)
    rec.add_argument("--note", default="")
    rec.add_argument("--appointment", help="the customer asked to be called at (ISO time)")
    att_sub.add_parser("list").add_argument("--campaign", type=int)


def _attempts(args: argparse.Namespace, ctx: CliContext) -> Any:
    if args.action == "record":
        appointment = (datetime.fromisoformat(args.appointment).replace(tzinfo=ctx.tz).timestamp()
                       if args.appointment else None)
        service.record_outcome(ctx.engine, args.attempt, Outcome(args.outcome), ctx.now,
                               _settings(ctx).policy, score=args.score, note=args.note,
                               appointment_at=appointment)
        return {"attempt": args.attempt, "outcome": args.outcome}
    return service.attempts(ctx.engine, ctx.tz, args.campaign)


def _dnc_arguments(dnc: argparse.ArgumentParser) -> None:
    dnc_sub = dnc.add_subparsers(dest="action", required=True)
    add = dnc_sub.add_parser("add")
    add.add_argument("number")
    add.add_argument("--reason", default="")
    remove = dnc_sub.add_parser("remove")
    remove.add_argument("number")
    remove.add_argument("--reason", default="")
    dnc_sub.add_parser("list")


def _dnc(args: argparse.Namespace, ctx: CliContext) -> Any:
    if args.action == "add":
        number = PhoneNumber.parse(args.number, ctx.config.get(CenterSettings).phones)
        return {"added": dnc.dnc_add(ctx.engine, number, args.reason, ctx.now)}
    if args.action == "remove":
        return {"removed": dnc.dnc_remove(ctx.engine, args.number, args.reason, ctx.now)}
    return dnc.dnc_list(ctx.engine, ctx.tz)


def _contact_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--campaign", type=int, help="only this campaign's contacts")
    parser.add_argument("--limit", type=int, default=500)


COMMANDS = (
    Command("campaigns", "callback campaigns (回访)", _campaign_arguments, _campaigns),
    Command("contacts", "contacts of the campaigns: phone, campaign, kind, status, due_by, "
            "joined_at (keep-your-place), outcome, note", _contact_arguments,
            lambda args, ctx: service.contacts(ctx.engine, ctx.tz, args.campaign, args.limit)),
    Command("attempts", "callback attempts", _attempt_arguments, _attempts),
    Command("dnc", "the do-not-call list", _dnc_arguments, _dnc),
)
