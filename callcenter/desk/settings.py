"""The `[desk]` section: the center's pause reasons, the queues an agent may log in to
from the desk, and the standard phrases shown on it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from callcenter.ami.grammar import is_member_text, is_name
from callcenter.config import setting

# 标准用语 (SERVICE_STANDARDS section 6, "Scripts"): title -> what the agent says.
STANDARD_SCRIPTS = {
    "开始语": "您好，客服热线，{name}为您服务，请问有什么可以帮您？",
    "转接": "请您稍等，我为您转接专业坐席，请不要挂机。",
    "致歉": "对不起，让您久等了。",
    "结束语": "感谢您的来电，稍后请您对我的服务进行评价，再见！",
}
SCRIPT_CHARS = 500


def _reasons(value: Any) -> str | None:
    if not value:
        return "must list at least one pause reason"
    for reason in value:
        if not isinstance(reason, str) or not is_member_text(reason):
            return (f"{reason!r}: a pause reason is 1-40 characters without , ; | & \" < > \\ "
                    "or control characters")
    if len(set(value)) != len(value):
        return "lists a pause reason twice"
    return None


def _queues(value: Any) -> str | None:
    bad = [q for q in value if not isinstance(q, str) or not is_name(q)]
    return f"{bad[0]!r} is not a queue name (letters, digits, _ and -)" if bad else None


def _scripts(value: Any) -> str | None:
    for title, text in value.items():
        if not isinstance(text, str) or not 0 < len(text) <= SCRIPT_CHARS or len(title) > 20:
            return (f"{title!r}: a phrase is 1-{SCRIPT_CHARS} characters under a title of at "
                    "most 20")
    return None


@dataclass(frozen=True, slots=True)
class DeskSettings:
    SECTION: ClassVar[str] = "desk"
    # What an agent may pause for (the first is the desk's suggestion).  The surge
    # monitor's [surge] break_reasons say which of them count as a break.
    pause_reasons: tuple[str, ...] = setting(("午休", "休息", "培训", "会议", "回访"), _reasons)
    # Queues an agent may log in to and out of from the desk.
    queues: tuple[str, ...] = setting(("support", "complaints"), _queues)
    # Standard phrases, in the order shown; "{name}" becomes the agent's name.
    scripts: Mapping[str, str] = setting(None, _scripts, factory=lambda: dict(STANDARD_SCRIPTS))
