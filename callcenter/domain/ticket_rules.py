"""The ticket workflow's clocks (SERVICE_STANDARDS section 2), pure.

- A complaint (投诉) is due for the team lead's callback within 1 working day
  (在1个工作日内致电客户进行解决): the clock starts when the ticket is categorised.
- A dispatched ticket that nobody accepts within 30 minutes is chased (督办).
- An "unsatisfied" rating opens a review due within 2 hours (话务班长应在2个小时内听取来电录音).
- A complaint's investigation is due by its deadline ([complaints] investigation, 1 working
  day; set by the complaints feature): done when the complaint is resolved.
Anything past its due time and not done raises an alert; doing it clears the alert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from callcenter.domain.alerts import Wording

CATEGORIES = ("咨询", "投诉", "建议", "表扬", "求助")
COMPLAINT = "投诉"
STATUSES = ("open", "dispatched", "accepted", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
MOODS = ("calm", "anxious", "angry", "satisfied")
RATINGS = ("satisfied", "ordinary", "unsatisfied")

SUPERVISION = "ticket_supervision"  # 督办
COMPLAINT_OVERDUE = "complaint_callback_overdue"
REVIEW_OVERDUE = "review_overdue"
INVESTIGATION_OVERDUE = "complaint_investigation_overdue"
OVERDUE_KINDS = (SUPERVISION, COMPLAINT_OVERDUE, REVIEW_OVERDUE, INVESTIGATION_OVERDUE)


@dataclass(frozen=True, slots=True)
class TicketRules:
    complaint_callback: str = "1wd"  # a deadline rule, as for campaigns
    dispatch_accept_s: float = 1800.0
    review_s: float = 7200.0
    # The investigation's deadline rule, for the alert's words only ([complaints]
    # investigation: the complaints feature sets the due time itself).
    investigation: str = "1wd"


@dataclass(frozen=True, slots=True)
class TicketClocks:
    id: int
    category: str
    status: str
    opened_at: float
    dispatched_at: float | None = None
    accepted_at: float | None = None
    callback_due_at: float | None = None
    lead_called_at: float | None = None
    rating: str | None = None
    rated_at: float | None = None
    review_due_at: float | None = None
    reviewed_at: float | None = None
    investigation_due_at: float | None = None
    resolved_at: float | None = None


@dataclass(frozen=True, slots=True)
class Overdue:
    kind: str
    ticket_id: int
    due_at: float
    # the rule's limit in words, for people
    limit: Wording = field(default=Wording("", ""), compare=False)

    @property
    def ref(self) -> str:
        return f"ticket:{self.ticket_id}"

    def message(self) -> Wording:
        n = self.ticket_id
        if self.kind == SUPERVISION:
            return Wording(f"督办：工单 #{n} 派单{self.limit.zh}无人接单",
                           f"Ticket #{n} dispatched, not accepted {self.limit.en}")
        if self.kind == COMPLAINT_OVERDUE:
            return Wording(f"投诉回电超期：工单 #{n} 未在{self.limit.zh}回电",
                           f"Complaint #{n}: no callback {self.limit.en}")
        if self.kind == INVESTIGATION_OVERDUE:
            return Wording(f"投诉调查超期：工单 #{n} 未在{self.limit.zh}调查处理完毕",
                           f"Complaint #{n}: investigation not done {self.limit.en}")
        return Wording(f"不满意评价复核超期：工单 #{n} 未在{self.limit.zh}复核",
                       f"Unsatisfied ticket #{n}: review not done {self.limit.en}")


def _rule_in_words(rule: str) -> Wording:
    """A deadline rule (3d, 1wd, 25nm) as the handbook says it."""
    if rule.endswith("wd"):
        return Wording(f" {rule[:-2]} 个工作日内", f"within {rule[:-2]} working days")
    if rule.endswith("nm"):
        return Wording(f"次月 {rule[:-2]} 日前", f"by day {rule[:-2]} of the next month")
    return Wording(f" {rule[:-1]} 天内", f"within {rule[:-1]} days")


Deadline = Callable[[str, float], float]  # (rule, start) -> due time, in the center's calendar


def clocks_started(before: TicketClocks, after: TicketClocks, rules: TicketRules,
                   deadline: Deadline, now: float) -> dict[str, float]:
    """Due times that an edit starts: the fields to store alongside it."""
    started: dict[str, float] = {}
    if after.category == COMPLAINT and before.callback_due_at is None:
        started["callback_due_at"] = deadline(rules.complaint_callback, after.opened_at)
    if after.status == "dispatched" and before.status != "dispatched" and before.dispatched_at is None:
        started["dispatched_at"] = now
    if after.status == "accepted" and before.accepted_at is None:
        started["accepted_at"] = now
    if after.rating is not None and after.rating != before.rating:
        started["rated_at"] = now
        if after.rating == "unsatisfied" and before.review_due_at is None:
            started["review_due_at"] = now + rules.review_s
    return started


def overdue(t: TicketClocks, rules: TicketRules, now: float) -> list[Overdue]:
    """What is late on this ticket right now."""
    late = []
    if t.dispatched_at is not None and t.accepted_at is None and t.status == "dispatched":
        due = t.dispatched_at + rules.dispatch_accept_s
        if now >= due:
            late.append(Overdue(SUPERVISION, t.id, due, Wording(
                f" {rules.dispatch_accept_s / 60:g} 分钟", f"within {rules.dispatch_accept_s / 60:g} min")))
    if (t.callback_due_at is not None and t.lead_called_at is None and t.category == COMPLAINT
            and now >= t.callback_due_at):
        late.append(Overdue(COMPLAINT_OVERDUE, t.id, t.callback_due_at,
                            _rule_in_words(rules.complaint_callback)))
    if t.review_due_at is not None and t.reviewed_at is None and now >= t.review_due_at:
        late.append(Overdue(REVIEW_OVERDUE, t.id, t.review_due_at,
                            Wording(f" {rules.review_s / 3600:g} 小时内",
                                    f"within {rules.review_s / 3600:g} hours")))
    if (t.investigation_due_at is not None and t.resolved_at is None
            and t.status not in ("resolved", "closed") and t.category == COMPLAINT
            and now >= t.investigation_due_at):
        late.append(Overdue(INVESTIGATION_OVERDUE, t.id, t.investigation_due_at,
                            _rule_in_words(rules.investigation)))
    return late
