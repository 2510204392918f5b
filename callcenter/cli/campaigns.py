"""`callcenter campaigns|attempts|dnc|surge|alerts`: callbacks and surges from the shell."""

from __future__ import annotations

import argparse
import csv
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from callcenter.callbacks import service
from callcenter.callbacks.settings import callback_settings
from callcenter.callbacks.surge_watch import current
from callcenter.config import Config
from callcenter.domain.callbacks import Outcome
from callcenter.store import models as m


def add_parsers(sub: Any) -> None:
    camp = sub.add_parser("campaigns", help="callback campaigns (回访)")
    camp_sub = camp.add_subparsers(dest="action", required=True)
    create = camp_sub.add_parser("create")
    create.add_argument("name")
    create.add_argument("--kind", default="followup", choices=["followup", "imported"])
    create.add_argument("--mode", default="customer_first",
                        choices=["customer_first", "agent_first"])
    create.add_argument("--agent", help="member interface for agent_first")
    create.add_argument("--deadline", help="3d (days after service), 1wd (working days), "
                        "25nm (by the 25th of next month); default from settings")
    create.add_argument("--max-in-flight", type=int, default=2)
    create.add_argument("--from-tickets-since", help="add the callers of tickets since (ISO date)")
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

    att = sub.add_parser("attempts", help="callback attempts")
    att_sub = att.add_subparsers(dest="action", required=True)
    rec = att_sub.add_parser("record", help="record the outcome of an answered callback")
    rec.add_argument("attempt", type=int)
    rec.add_argument("--outcome", required=True, choices=[o.value for o in Outcome])
    rec.add_argument("--score", type=int)
    rec.add_argument("--note", default="")
    rec.add_argument("--appointment", help="the customer asked to be called at (ISO time)")
    lst = att_sub.add_parser("list")
    lst.add_argument("--campaign", type=int)

    dnc = sub.add_parser("dnc", help="the do-not-call list")
    dnc_sub = dnc.add_subparsers(dest="action", required=True)
    add = dnc_sub.add_parser("add")
    add.add_argument("number")
    add.add_argument("--reason", default="")
    dnc_sub.add_parser("remove").add_argument("number")
    dnc_sub.add_parser("list")

    sub.add_parser("surge", help="the surge level, since when, callers waiting")
    sub.add_parser("alerts", help="every alert: level, kind, message, raised/cleared")
    for name in ("campaigns", "attempts", "dnc", "surge", "alerts"):
        for parser in [sub.choices[name], *_children(sub.choices[name])]:
            if not any(a.dest == "json" for a in parser._actions):
                parser.add_argument("--json", action="store_true", help="JSON output")


def _children(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices.values())
    return []


def run(command: str, args: argparse.Namespace, engine: Engine, config: Config) -> Any:
    """Returns rows (a list) or one object to print."""
    now = time.time()
    tz = config.timezone
    if command == "surge":
        state = current(engine)
        state["since"] = _iso(state["since"], config)
        return state
    if command == "alerts":
        with engine.connect() as conn:
            return [{"id": a.id, "level": a.level, "kind": a.kind, "message": a.message,
                     "raised_at": _iso(a.raised_at, config), "cleared_at": _iso(a.cleared_at, config),
                     "acknowledged": a.acknowledged_by or ("yes" if a.acknowledged_at else "")}
                    for a in conn.execute(select(m.Alert).order_by(m.Alert.raised_at.desc()))]
    if command == "dnc":
        if args.action == "add":
            return {"added": service.dnc_add(engine, args.number, args.reason, now)}
        if args.action == "remove":
            return {"removed": service.dnc_remove(engine, args.number)}
        with engine.connect() as conn:
            return [{"phone": d.phone, "reason": d.reason, "added_at": _iso(d.added_at, config)}
                    for d in conn.execute(select(m.DoNotCall).order_by(m.DoNotCall.added_at))]
    if command == "attempts":
        if args.action == "record":
            appointment = (datetime.fromisoformat(args.appointment).replace(tzinfo=tz).timestamp()
                           if args.appointment else None)
            service.record_outcome(engine, args.attempt, Outcome(args.outcome), now,
                                   callback_settings(config).policy, score=args.score,
                                   note=args.note, appointment_at=appointment)
            return {"attempt": args.attempt, "outcome": args.outcome}
        query = select(m.Attempt).order_by(m.Attempt.id.desc()).limit(200)
        if args.campaign:
            query = query.where(m.Attempt.campaign_id == args.campaign)
        with engine.connect() as conn:
            return [{"id": a.id, "campaign": a.campaign_id, "contact": a.contact_id,
                     "phone": a.phone, "status": a.status, "outcome": a.outcome,
                     "score": a.score, "agent": a.agent_interface, "reason": a.reason,
                     "cause": a.cause, "started_at": _iso(a.started_at, config)}
                    for a in conn.execute(query)]
    return _campaigns(args, engine, config, now, tz)


def _campaigns(args: argparse.Namespace, engine: Engine, config: Config, now: float,
               tz: Any) -> Any:
    if args.action == "create":
        deadline = args.deadline or callback_settings(config).followup_deadline
        campaign = service.create_campaign(engine, service.NewCampaign(
            args.name, args.kind, args.mode, args.agent, deadline, args.max_in_flight), now)
        added = 0
        if args.from_tickets_since:
            since = datetime.fromisoformat(args.from_tickets_since).replace(tzinfo=tz).timestamp()
            added = service.add_from_tickets(engine, campaign, since, now, now, tz=tz,
                                             calendar=callback_settings(config).window.calendar)
        return {"id": campaign, "contacts_from_tickets": added}
    if args.action == "import":
        imported = service.import_file(engine, args.campaign, args.file, now, tz,
                                       calendar=callback_settings(config).window.calendar)
        return {"imported": len(imported.good),
                "rejected": [{"row": row, "reason": why} for row, why in imported.rejected]}
    if args.action == "list":
        return service.campaigns(engine, tz)
    if args.action in ("pause", "resume"):
        service.set_status(engine, args.campaign, "paused" if args.action == "pause" else "active")
        return {"id": args.campaign, "status": "paused" if args.action == "pause" else "active"}
    report = service.report(engine, args.campaign, now, tz)
    if getattr(args, "csv", None):
        _write_csv(args.csv, report)
    if getattr(args, "xlsx", None):
        _write_xlsx(args.xlsx, report)
    return report


def _iso(at: float | None, config: Config) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, config.timezone).isoformat(
        timespec="seconds")


def report_sheets(report: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """The 回访总结报告 as tables: summary, scores, failures, per agent, not reached."""
    summary = [["项目 item", "值 value"]] + [[k, report[k]] for k in (
        "contacts", "reached", "coverage_pct", "members", "members_reached", "success",
        "success_rate_pct")]
    scores = [["评分 score", "数量 count"]] + [[k, v] for k, v in report["score_distribution"].items()]
    failures = [["原因 reason", "数量 count"]] + [[k, v] for k, v in report["failure_reasons"].items()]
    agents = [["坐席 agent", "结果 outcome", "数量 count"]] + [
        [agent, outcome, n] for agent, counts in report["per_agent"].items()
        for outcome, n in counts.items()]
    missing = [["姓名 name", "电话 phone", "会员 member", "次数 attempts", "期限 deadline"]] + [
        [c["name"], c["phone"], c["member"], c["attempts"], c["deadline"]]
        for c in report["not_reached"]]
    return {"summary": summary, "scores": scores, "failures": failures, "per agent": agents,
            "not reached": missing}


def _write_csv(path: Path, report: dict[str, Any]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:  # BOM: Excel reads UTF-8
        writer = csv.writer(out)
        for title, rows in report_sheets(report).items():
            writer.writerow([f"# {title}"])
            writer.writerows(rows)
            writer.writerow([])


def _write_xlsx(path: Path, report: dict[str, Any]) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 - only exports need it

    book = Workbook()
    book.remove(book.active)
    for title, rows in report_sheets(report).items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


def print_result(result: Any, as_json: bool, render: Any) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    elif isinstance(result, list):
        print(render(result))
    else:
        print(json.dumps(result, ensure_ascii=False, indent=1))
