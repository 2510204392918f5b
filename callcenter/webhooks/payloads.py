"""Message bodies for each kind of receiver, and DingTalk's URL signature (pure, no I/O)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, urlsplit
from zoneinfo import ZoneInfo

from callcenter.core.labels import lookup
from callcenter.domain.alerts import AlertChange, AlertTransition
from callcenter.domain.notice import Notice

CHANGE_ZH = {AlertChange.RAISED: "已触发", AlertChange.ESCALATED: "已升级",
             AlertChange.CLEARED: "已解除", AlertChange.ACKNOWLEDGED: "已确认"}
LEVEL_ZH = {"info": "提示", "warning": "警告", "critical": "严重"}

# WeCom refuses markdown content over 4096 bytes (UTF-8); DingTalk's limit is larger.
# Only the free-text message is clipped, so the header lines always arrive.
_MESSAGE_MAX_BYTES = 3500


def _clip(text: str, max_bytes: int = _MESSAGE_MAX_BYTES) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    return raw[:max_bytes].decode("utf-8", errors="ignore") + "…"


def _local_time(at: float, tz: ZoneInfo) -> str:
    return f"{datetime.fromtimestamp(at, tz):%Y-%m-%d %H:%M:%S} ({tz.key})"


def _kind_zh(t: AlertTransition) -> str:
    """The kind's Chinese word (the pages' labels), the code beside it for whoever
    searches the logs."""
    word = lookup("alert_kind", t.kind, "zh-CN")
    return f"{word}（{t.kind}）" if word else t.kind


def _lines(t: AlertTransition, tz: ZoneInfo) -> list[str]:
    lines = [f"> 类型：{_kind_zh(t)}", f"> 时间：{_local_time(t.at, tz)}",
             f"> 编号：#{t.alert_id}"]
    if t.ref:
        lines.append(f"> 对象：{t.ref}")
    return lines


def _both(t: AlertTransition, gap: str = "\n") -> str:
    """The Chinese words, then the English ones (which keep technical details, such as
    an OS error, that the Chinese leave out) for whoever fixes it."""
    return f"{t.message}{gap}{t.message_en}" if t.message_en else t.message


def _heading(t: AlertTransition) -> str:
    level = LEVEL_ZH.get(t.level, t.level)
    return f"【{level}】告警{CHANGE_ZH[t.change]}"


def wecom_body(t: AlertTransition, tz: ZoneInfo) -> dict[str, Any]:
    """WeCom group robot markdown message."""
    # WeCom markdown has three font colours: info (green), comment (grey), warning (orange-red).
    colour = ("info" if t.change is AlertChange.CLEARED
              else "warning" if t.level in ("warning", "critical") else "comment")
    content = "\n".join([f'### <font color="{colour}">{_heading(t)}</font>', *_lines(t, tz),
                         "", _clip(_both(t))])
    return {"msgtype": "markdown", "markdown": {"content": content}}


def dingtalk_body(t: AlertTransition, tz: ZoneInfo) -> dict[str, Any]:
    """DingTalk robot markdown message; the title is what the notification preview shows."""
    word = lookup("alert_kind", t.kind, "zh-CN") or t.kind
    title = f"【{LEVEL_ZH.get(t.level, t.level)}】告警{CHANGE_ZH[t.change]}：{word}"
    # DingTalk's markdown only breaks lines on a blank line.
    text = "\n\n".join([f"### {_heading(t)}", *_lines(t, tz), _clip(_both(t, "\n\n"))])
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def json_body(t: AlertTransition) -> dict[str, Any]:
    """Every field of the transition, for receivers of our own making."""
    return {"alert_id": t.alert_id, "kind": t.kind, "level": t.level, "change": str(t.change),
            "message": t.message, "message_en": t.message_en, "at": t.at, "ref": t.ref,
            "at_iso": datetime.fromtimestamp(t.at, UTC).isoformat()}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature, not yet URL-encoded: base64(HMAC-SHA256(secret, "ts\\nsecret"))."""
    string_to_sign = f"{timestamp_ms}\n{secret}"
    digest = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """The robot URL with `timestamp` and `sign` appended; DingTalk accepts it for one hour."""
    sign = quote_plus(dingtalk_sign(secret, timestamp_ms))
    separator = "" if url.endswith(("?", "&")) else "&" if urlsplit(url).query else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={sign}"


def notice_bodies(n: Notice) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A notice (a report's summary, no alert) as WeCom, DingTalk and JSON bodies."""
    wecom = "\n".join([f"### {n.title}", *(f"> {line}" for line in n.lines), "",
                       f"[报表 report]({n.link})"])
    dingtalk = "\n\n".join([f"### {n.title}", *(f"- {line}" for line in n.lines),
                             f"[报表 report]({n.link})"])
    return ({"msgtype": "markdown", "markdown": {"content": _clip(wecom)}},
            {"msgtype": "markdown", "markdown": {"title": n.title, "text": _clip(dingtalk)}},
            {"kind": n.kind, "key": n.key, "title": n.title, "lines": list(n.lines),
             "link": n.link, "at": n.at, "at_iso": datetime.fromtimestamp(n.at, UTC).isoformat(),
             "figures": n.figures})
