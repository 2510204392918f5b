"""The post-call satisfaction survey (满意度评价, SERVICE_STANDARDS 1), pure.

After the agent hangs up the caller hears a prompt and presses one key; the key maps
to one of the ticket's ratings (满意 satisfied, 一般 ordinary, 不满意 unsatisfied).  No
key, or a key that means nothing, earns one retry; then the survey gives up and the
ticket stays unrated.  The rating scores the ticket's owner (首问负责制: the first agent
who took the call answers for it) on the points ledger."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from callcenter.domain.ticket_rules import RATINGS

# What WAIT FOR DIGIT / STREAM FILE can report as a key: DTMF 0-9 * # A-D.
DTMF_KEYS = frozenset("0123456789*#ABCD")

STANDARD_KEYS: Mapping[str, str] = {"1": "satisfied", "2": "ordinary", "3": "unsatisfied"}
# Only the unsatisfied rating costs points by default: praise is scored by supervisors
# (表扬 tickets), and "ordinary" is no fault.  3 points is the handbook's fine for a
# service lapse of the same weight (聊天/长时间占用电话, 擅离职守: 一次扣3分).
STANDARD_POINTS: Mapping[str, int] = {"satisfied": 0, "ordinary": 0, "unsatisfied": -3}


@dataclass(frozen=True, slots=True)
class SurveyRules:
    keys: Mapping[str, str] = field(default_factory=lambda: dict(STANDARD_KEYS))
    points: Mapping[str, int] = field(default_factory=lambda: dict(STANDARD_POINTS))
    retries: int = 1  # how many times the prompt is repeated after no (usable) key

    def __post_init__(self) -> None:
        for key, rating in self.keys.items():
            if key not in DTMF_KEYS or len(key) != 1 or rating not in RATINGS:
                raise ValueError(f"survey key {key!r} -> {rating!r} is not a DTMF key and a rating")

    @property
    def escape_keys(self) -> str:
        """The keys that interrupt a prompt: exactly those that mean something."""
        return "".join(sorted(self.keys))

    def rating_for(self, key: str) -> str | None:
        """The rating a pressed key means; None for no key or any other input."""
        if len(key) != 1 or key not in DTMF_KEYS:
            return None
        return self.keys.get(key)

    def points_for(self, rating: str) -> int:
        return self.points.get(rating, 0)
