"""Complaints (投诉) and praise (表扬) tickets, pure (SERVICE_STANDARDS 2, 5 and 6).

- A complaint records who or which department it is about (被投诉人 / 责任归属), the
  reply time promised to the caller, and is investigated within 1 working day.
- Resolved, it gets a follow-up call (处理后有回访); it closes only once that follow-up
  succeeds, or when a supervisor marks it unfounded (无理投诉) with a reason.
- A supervisor's verdict confirms it (the agent's ledger loses the complaint's
  points) or marks it unfounded (a confirmed one is then reversed); an unfounded
  verdict is final.  A praise ticket confirmed scores its kind (phone, letter).
- An agent with `flag_threshold` (3) or more confirmed complaints in a calendar month
  is flagged (当月投诉三次以上者 — the daemon only reports it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from callcenter.domain.alerts import Wording
from callcenter.domain.ticket_rules import COMPLAINT

PRAISE = "表扬"
CONFIRMED, UNFOUNDED = "confirmed", "unfounded"
VERDICTS = ("", CONFIRMED, UNFOUNDED)
PRAISE_KINDS = ("phone", "letter")  # 电话表扬 / 表扬信
STANDARD_KINDS = ("服务态度", "服务质量", "处理时效", "收费", "其他")  # 投诉类别
FLAG_KIND = "agent_complaints"  # the alert's kind
COMPLAINT_REASON = "complaint"  # the ledger's reason for a confirmed complaint


@dataclass(frozen=True, slots=True)
class ComplaintRules:
    investigation: str = "1wd"  # the responsible department investigates within 1 working day
    followup_deadline: str = "1wd"  # 回访 within 1 working day of resolution
    flag_threshold: int = 3
    kinds: tuple[str, ...] = STANDARD_KINDS


@dataclass(frozen=True, slots=True)
class Subject:
    """What a ticket's edit may change that matters here, before or after it."""

    id: int
    category: str
    status: str
    about_agent: str | None = None
    verdict: str = ""
    verdict_reason: str = ""
    praise_kind: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    refusal: str | None = None  # the edit is refused, with this message; nothing changes
    followup: bool = False  # resolved now: the caller goes on the follow-up campaign
    score: str | None = None  # ledger reason to write for the agent it is about
    reverse: str | None = None  # ledger reason of the ticket's entry to reverse
    investigation_starts: bool = False  # categorised as a complaint now: the deadline runs
    verdict_given: bool = False


def score_reason(category: str, praise_kind: str) -> str:
    return COMPLAINT_REASON if category == COMPLAINT else f"praise_{praise_kind or 'phone'}"


def _refused(message: str) -> Decision:
    return Decision(refusal=message)


def decide(before: Subject, after: Subject, *, followup_succeeded: bool) -> Decision:
    """What an edit of a ticket means for its complaint or praise, or why it is refused."""
    n = before.id
    if before.verdict and (after.category != before.category
                           or after.about_agent != before.about_agent
                           or after.praise_kind != before.praise_kind):
        return _refused(f"工单 #{n} 已有结论, 类别和被投诉人不能再改 (ticket #{n} has a verdict: "
                        "its category and whom it is about are fixed)")
    verdict_given = after.verdict != before.verdict
    score = reverse = None
    if verdict_given:
        if after.category not in (COMPLAINT, PRAISE):
            return _refused(f"ticket #{n}: only complaint (投诉) and praise (表扬) tickets take a "
                            "verdict")
        if before.verdict == UNFOUNDED:
            return _refused(f"工单 #{n} 已判定为无理投诉, 不能更改 (ticket #{n} was marked unfounded; "
                            "that verdict is final)")
        if after.verdict == "":
            return _refused(f"ticket #{n}: a verdict cannot be withdrawn, only marked unfounded")
        if after.verdict == UNFOUNDED and not after.verdict_reason.strip():
            return _refused(f"ticket #{n}: marking it unfounded (无理投诉) needs a reason")
        if after.about_agent:
            reason = score_reason(after.category, after.praise_kind)
            if after.verdict == CONFIRMED:
                score = reason
            elif before.verdict == CONFIRMED:
                reverse = reason
    closing = after.status == "closed" and before.status != "closed"
    if (closing and after.category == COMPLAINT and after.verdict != UNFOUNDED
            and not followup_succeeded):
        return _refused(f"投诉工单 #{n} 回访成功前不能结案, 除非判定为无理投诉 (complaint #{n} "
                        "cannot be closed until its follow-up call succeeds or a supervisor marks "
                        "it unfounded)")
    return Decision(
        followup=(after.category == COMPLAINT and after.status == "resolved"
                  and before.status != "resolved"),
        score=score, reverse=reverse, verdict_given=verdict_given,
        investigation_starts=after.category == COMPLAINT and before.category != COMPLAINT)


@dataclass(frozen=True, slots=True)
class Flag:
    agent: str  # member interface
    month: str  # 2026-11, in the center's zone
    confirmed: int

    @property
    def ref(self) -> str:
        return f"agent:{self.agent}:{self.month}"[:80]

    def message(self, name: str) -> Wording:
        who = name or self.agent
        return Wording(f"坐席 {who} 本月（{self.month}）被确认投诉 {self.confirmed} 次",
                       f"{who}: {self.confirmed} confirmed complaints in {self.month}")


def flags(confirmed: Mapping[tuple[str, str], int], threshold: int) -> list[Flag]:
    """Agents at or over the threshold: (agent, month) -> confirmed complaints."""
    return [Flag(agent, month, n) for (agent, month), n in sorted(confirmed.items())
            if n >= threshold]
