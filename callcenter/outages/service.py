"""The outages feature's database work: an outage alert raised once per outage and
cleared on recovery; the status file (a file, so `callcenter status` works while the
database is the part that is down)."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from callcenter.alerts import service as alerts
from callcenter.core.health import Condition
from callcenter.domain.alerts import AlertTransition, Wording

PART_ZH = {"ami": "Asterisk 连接（AMI）", "database": "数据库", "writer": "记录写入进程",
           "journal": "本地日志盘", "queue_log": "Asterisk 队列日志（queue_log）"}
PART_EN = {"ami": "the Asterisk link (AMI)", "database": "the database",
           "writer": "the record writer", "journal": "the local journal disk",
           "queue_log": "Asterisk's queue_log"}


def kind_of(part: str) -> str:
    return f"outage_{part}"[:32]


def ref_of(c: Condition) -> str:
    return f"outage:{c.part}:{int(c.since)}"


def message(c: Condition, tz: ZoneInfo) -> Wording:
    since = datetime.fromtimestamp(c.since, tz).strftime("%H:%M:%S")
    base, _, server = c.part.partition(":")  # ami:pbx2 - one of several servers
    zh = PART_ZH.get(base, base) + (f" {server}" if server else "")
    en = PART_EN.get(base, base) + (f" of {server}" if server else "")
    # The technical detail (an OS error, in English) only in the English words: the
    # webhooks carry both, `callcenter status` and /readyz have it too.
    return Wording(f"系统故障，请报告系统管理员：{zh}自 {since} 起不可用",
                   f"System fault, tell the administrator: {en} down since {since} "
                   f"({c.detail})")


def raise_outage(engine: Engine, c: Condition, tz: ZoneInfo, at: float) -> AlertTransition | None:
    with engine.begin() as conn:
        return alerts.raise_once(conn, kind_of(c.part), "critical", message(c, tz), at,
                                 ref=ref_of(c))


def clear_outage(engine: Engine, down: Condition, at: float) -> AlertTransition | None:
    with engine.begin() as conn:
        alert_id = alerts.open_alert_id(conn, kind_of(down.part), ref_of(down))
        return None if alert_id is None else alerts.clear_alert(conn, alert_id, at)


def write_status(path: Path, status: dict[str, Any]) -> None:
    """Atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".status-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(status, out, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_status(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return data
