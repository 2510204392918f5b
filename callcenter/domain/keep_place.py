"""Keep your place (排队回呼), pure.

A caller waiting in a queue may press 1 to be called back instead of holding.  Their
place in line is kept by a placeholder: a channel the daemon originates that waits in
the same queue at the caller's position (app_queue's `position` argument), so Asterisk
stays the one arbiter of order.  When an agent takes the placeholder, the customer is
dialed, the agent already on the line (agent-first).

The placeholder's channel ids carry the request's id behind a fixed prefix, so any
layer that sees a waiting caller's Uniqueid knows it is a virtual waiter (and which
request) without a lookup.  This module holds the rules: the estimate spoken to the
caller, a request's expiry, how a request ends once its customer was dialed, those
ids, and what the live picture needs to know of a placeholder (`VirtualWaiter`)."""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

PLACEHOLDER_PREFIX = "kp-"  # the placeholder's queue half (Local ;2): the virtual waiter
DIALER_PREFIX = "kpd-"  # its other half (Local ;1), which dials the customer
_PLACEHOLDER = re.compile(r"kpd?-([0-9]{1,12})-[0-9a-f]{8,32}")
MAX_POSITION = 999  # a queue longer than this is no queue we hold places in


def is_virtual(uniqueid: str) -> bool:
    """Whether a queue caller's Uniqueid is a keep-your-place placeholder."""
    return uniqueid.startswith(PLACEHOLDER_PREFIX)


def placeholder_ids(request_id: int, token: str) -> tuple[str, str]:
    """(queue half, dialing half) channel ids of a request's placeholder."""
    return f"{PLACEHOLDER_PREFIX}{request_id}-{token}", f"{DIALER_PREFIX}{request_id}-{token}"


def request_of(uniqueid: str) -> int | None:
    """The request id a placeholder channel id carries; None for any other channel."""
    found = _PLACEHOLDER.fullmatch(uniqueid)
    return None if found is None else int(found.group(1))


def position_from(text: str) -> int | None:
    """QUEUEPOSITION as app_queue sets it when a caller leaves by key: 1 is the head."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 4:
        return None
    position = int(text)
    return position if 1 <= position <= MAX_POSITION else None


# -- the estimate spoken to a caller (您前面还有N位,预计等待M分钟) --------------------------


@dataclass(frozen=True, slots=True)
class Estimate:
    ahead: int  # callers (real and virtual) in line before this one
    wait_s: float | None  # None: nobody staffs the queue, no honest figure

    @property
    def minutes(self) -> int | None:
        """Whole minutes, rounded up, at least 1: "about 0 minutes" helps nobody."""
        if self.wait_s is None:
            return None
        return max(1, math.ceil(self.wait_s / 60.0))


def estimate(ahead: int, staffed_agents: int, handle_s: float) -> Estimate:
    """Each staffed agent clears one caller per handle time (talk + wrap-up); the
    callers ahead are shared among them, and this caller is taken in the round after
    theirs: wait ≈ ceil((ahead + 1) / agents) × handle − half a handle (an agent busy
    now is on average half way through)."""
    if ahead < 0 or handle_s < 0:
        raise ValueError("ahead and handle_s cannot be negative")
    if staffed_agents <= 0:
        return Estimate(ahead, None)
    rounds = math.ceil((ahead + 1) / staffed_agents)
    return Estimate(ahead, max(0.0, rounds * handle_s - handle_s / 2.0))


class HandleTimes:
    """The recent handle times (talk + wrap-up) of a queue's calls: a bounded window,
    fed with each completed call; its mean is the estimate's handle time."""

    def __init__(self, window: int, default_s: float, wrapup_s: float) -> None:
        if window <= 0:
            raise ValueError("window must be positive")
        self.window = window
        self.default_s = default_s
        self.wrapup_s = wrapup_s
        self._by_queue: dict[str, deque[float]] = {}

    def completed(self, queue: str, talk_s: float) -> None:
        if not math.isfinite(talk_s) or talk_s < 0:
            return
        self._by_queue.setdefault(queue, deque(maxlen=self.window)).append(talk_s + self.wrapup_s)

    def mean_s(self, queue: str) -> float:
        times: Iterable[float] = self._by_queue.get(queue, ())
        values = list(times)
        return sum(values) / len(values) if values else self.default_s


# -- a request's life --------------------------------------------------------------------


def expires_at(requested_at: float, expiry_s: float) -> float:
    return requested_at + expiry_s


def is_expired(requested_at: float, now: float, expiry_s: float) -> bool:
    """A request still unanswered this long moves to the after-hours campaign."""
    return now >= expires_at(requested_at, expiry_s)


def wait_left_s(requested_at: float, now: float, expiry_s: float) -> int:
    """How long the placeholder may still wait in the queue (its Queue timeout), in
    whole seconds, at least 1."""
    return max(1, int(expires_at(requested_at, expiry_s) - now))


# -- a request's end, once an agent took its place and the customer was dialed -------

# Dial's DIALSTATUS when the customer was not reached -> the center's outcome code
# (callbacks.Outcome values); CANCEL (the agent gave up while it rang) has none.
_NOT_REACHED = {"NOANSWER": "no_answer", "BUSY": "busy", "CONGESTION": "busy",
                "CHANUNAVAIL": "failed"}


@dataclass(frozen=True, slots=True)
class Ended:
    status: str  # done: the customer answered | missed: not reached (after-hours next)
    outcome: str | None  # contacts.last_outcome
    note: str


def dial_ended(dial_status: str) -> Ended:
    """How a request ends when the dialing half hangs up: the customer answered (and
    either side hung up first, at any time after) closes it as done; anything else
    left them unreached."""
    status = dial_status if dial_status.isascii() and dial_status.isalpha() else "UNKNOWN"
    status = status.upper()[:16]
    if status == "ANSWER":
        return Ended("done", "connected", "called back: the customer answered")
    return Ended("missed", _NOT_REACHED.get(status), f"customer not reached ({status})")


# -- the placeholder in the live picture ---------------------------------------------

# A placeholder waits in the queue at most until its request expires; one whose leave
# was never seen (an AMI event lost) stops counting this long after that.
PLACEHOLDER_STALE_GRACE_S = 300.0


@dataclass(frozen=True, slots=True)
class VirtualWaiter:
    """What the tracker is told of a request's placeholder (by the shell, which reads
    the request): the caller's wait counts from their first join, not from the
    placeholder's, and the placeholder is waited for until the request expires."""

    request_id: int
    joined_at: float  # when the caller first joined the queue (contacts.joined_at)
    until: float  # the request's expiry: its placeholder waits no longer

    @property
    def stale_at(self) -> float:
        return self.until + PLACEHOLDER_STALE_GRACE_S


class Placeholders:
    """The requests whose placeholder waits (or is about to) in a queue, as the shell
    told of them; each forgotten once its request's placeholder can no longer wait."""

    def __init__(self) -> None:
        self._by_request: dict[int, VirtualWaiter] = {}

    def expect(self, waiter: VirtualWaiter) -> None:
        self._by_request[waiter.request_id] = waiter

    def of(self, uniqueid: str) -> VirtualWaiter | None:
        """The request a waiting caller's Uniqueid holds the place of, if told of."""
        if not is_virtual(uniqueid):
            return None
        request = request_of(uniqueid)
        return None if request is None else self._by_request.get(request)

    def forget_stale(self, now: float) -> None:
        for request in [r for r, w in self._by_request.items() if now >= w.stale_at]:
            del self._by_request[request]

    def __len__(self) -> int:
        return len(self._by_request)
