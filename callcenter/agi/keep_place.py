"""Keep your place (排队回呼): the daemon's side.

- `/announce` (before Queue): "you are caller number N … about M minutes … press 1",
  from the tracker's live picture (callers waiting, real and virtual; staffed agents)
  and the queue's recent handle times.
- `/keep_place` (the queue's exit context, after the caller pressed 1): the request is
  stored (one open per number, do-not-call and quiet hours refused politely: the caller
  goes back in line at their place), then a placeholder is originated into the same
  queue at the caller's position (QUEUEPOSITION), and only once Asterisk reports it
  waiting there is the caller told yes.
- `/keep_place_dial` (the placeholder's other half, once an agent has taken it): may
  the customer be dialed now (quiet hours, do-not-call)?  If not, the request moves to
  the after-hours campaign and the agent hears why.
- `/keep_place_ended` (the same half's hang-up): the customer answered — whoever hung
  up first, whenever — and the request is done (outcome `connected`); or they were not
  reached and it moves to the after-hours campaign.  (`/keep_place_missed`: its former
  name, for a dialplan not yet updated, which only ran it when not reached.)

The tracker is told of each request's placeholder (`VirtualWaiter`: before its
Originate, and for every request still waiting when the daemon starts), so the
wallboard and the surge monitor count the caller's wait from their first join.
A request whose end was never seen (the daemon down at the hang-up) is closed by the
expiry job an hour after it would have expired: done, outcome unknown.

What reaches Asterisk is checked at the AMI boundary (grammar.check_originate); the
request's life follows the tracker's outcomes for the placeholder's Uniqueid."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from sqlalchemy import Engine

from callcenter.agi import service
from callcenter.agi.settings import KeepPlaceSettings
from callcenter.ami.grammar import check_originate, is_name, is_recording_path
from callcenter.domain import keep_place as kp
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import Clock
from callcenter.domain.live_view import LiveView
from callcenter.domain.phone import PhoneNumber, mask
from callcenter.domain.tracker import Tracker
from callcenter.errors import AmiError, AmiUnsafeValue

log = structlog.get_logger("callcenter.agi")
T = TypeVar("T")
# May the customer be dialed now?  (number) -> None, or why not (quiet_hours, do_not_call)
MayDial = Callable[[PhoneNumber, float], "str | None"]
# Move a request on to the after-hours campaign: (number, now) -> its outcome there
ToAfterHours = Callable[[PhoneNumber, float], str]
TAKEN = ("connected",)  # an agent took the place: the customer is being called back
# A request an agent took is closed this long past its expiry if its end was not seen.
UNFINISHED_AFTER_S = 3600.0


class LoopBridge:
    """The FastAGI sessions' threads reach the event loop (the tracker, the AMI client)
    only through here; the loop is known once the daemon runs (`started`)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None

    def started(self) -> None:
        self.loop = asyncio.get_running_loop()

    def post(self, fn: Callable[[], object]) -> None:
        """Run `fn` on the loop without waiting for it; nothing before the loop runs."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(fn)

    def call(self, fn: Callable[[], T], timeout: float) -> T:
        async def run() -> T:
            return fn()
        return self.run(run(), timeout)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        if self.loop is None:
            coro.close()
            raise RuntimeError("the daemon's loop is not running yet")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@dataclass(frozen=True, slots=True)
class Placeholder:
    request_id: int
    token: str
    number: str  # digits, checked
    queue: str
    position: int
    wait_s: int

    @property
    def ids(self) -> tuple[str, str]:
        return kp.placeholder_ids(self.request_id, self.token)


def placeholder_fields(p: Placeholder, s: KeepPlaceSettings, *, channel_template: str,
                       ring_s: float, caller_id: str,
                       recording: Callable[[str], str | None] | None = None) -> dict[str, str]:
    """The Originate of a placeholder: its queue half (Local ;2, `OtherChannelId`) runs
    `placeholder_context` at the customer's number; its other half (;1, `ChannelId`)
    runs `dial_context` once an agent has answered the first.  The ;1 half is the first
    channel: its id is the call's Linkedid (the ticket's), which names the recording
    app_queue makes of the queue half (CC_RECORDING, copied to ;2 with the others)."""
    queue_id, dial_id = p.ids
    customer = channel_template.format(number=p.number)
    path = recording(dial_id) if recording is not None else None
    recorded = [f"CC_RECORDING={path}"] if path is not None and is_recording_path(path) else []
    fields = {
        "Channel": f"Local/{p.number}@{s.placeholder_context}/n",
        "Context": s.dial_context, "Exten": "s", "Priority": "1",
        "ChannelId": dial_id, "OtherChannelId": queue_id, "ActionID": f"kp-act-{p.token}",
        # ;1 is "answered" when an agent takes ;2: wait longer than the queue does.
        "Timeout": str((p.wait_s + 60) * 1000),
        "Variable": ",".join([f"CC_REQUEST={p.request_id}", f"CC_QUEUE={p.queue}",
                              f"CC_POSITION={p.position}", f"CC_WAIT_S={p.wait_s}",
                              f"CC_NUMBER={p.number}", f"CC_CUSTOMER={customer}",
                              f"CC_RING_S={int(ring_s)}", *recorded]),
    }
    if caller_id:
        fields["CallerID"] = caller_id
    return check_originate(fields)


class Requests:
    """The requests' life: stored, placed (Originate, then the placeholder seen joining),
    settled from the tracker's outcomes, expired by a job."""

    def __init__(self, engine: Engine, settings: KeepPlaceSettings, *, clock: Clock,
                 bridge: LoopBridge, ami: Any, to_after_hours: ToAfterHours,
                 fields: Callable[[Placeholder], dict[str, str]],
                 handle_times: kp.HandleTimes, live: LiveView,
                 placeholders: Tracker) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.bridge = bridge
        self.ami = ami
        self.to_after_hours = to_after_hours
        self.fields = fields
        self.handle_times = handle_times
        # Both read on the loop only.  The figures the caller hears are every server's;
        # placeholders wait where they are originated (the first server): its tracker
        # is told of them.  Not the caller's own server: the FastAGI connection does not
        # say which Asterisk asked (several may share a host); the caller's Uniqueid
        # would (its systemname prefix), but the request would then need its server
        # stored, to restore the placeholder into that server's tracker at start.
        self.live = live
        self.placeholders = placeholders
        self._campaign: list[int] = []
        self._first_use = threading.Lock()
        self._joining: dict[str, threading.Event] = {}  # placeholder uniqueid -> joined

    @property
    def expiry_s(self) -> float:
        return self.settings.expiry_hours * 3600.0

    def campaign(self) -> int:
        with self._first_use:
            if not self._campaign:
                self._campaign.append(service.keep_place_campaign(self.engine, self.clock.now()))
            return self._campaign[0]

    # -- from the FastAGI threads ---------------------------------------------------
    def figures(self, queue: str) -> tuple[int, int, int, float]:
        """(callers waiting, agents free or ringing, staffed agents, mean handle time) of
        a queue, read on the loop."""
        def read() -> tuple[int, int, int, float]:
            return (self.live.waiting(queue), self.live.agents_free_soon(queue),
                    self.live.agents_staffed(queue), self.handle_times.mean_s(queue))
        return self.bridge.call(read, timeout=2.0)

    def place(self, number: PhoneNumber, queue: str, position: int, joined_at: float,
              ids: dict[str, str]) -> str:
        """Store the request and put its placeholder in line: `placed`, or why not."""
        now = self.clock.now()
        outcome, request_id = service.request_keep_place(
            self.engine, self.campaign(), number, now, joined_at=joined_at, queue=queue,
            position=position, expires_at=kp.expires_at(now, self.expiry_s))
        if request_id is None:
            return outcome
        p = Placeholder(request_id, secrets.token_hex(8), number.digits, queue, position,
                        kp.wait_left_s(now, now, self.expiry_s))
        waiter = kp.VirtualWaiter(request_id, min(joined_at, now),
                                  kp.expires_at(now, self.expiry_s))
        bound = log.bind(request=request_id, queue=queue, position=position,
                         placeholder=p.ids[0], phone=mask(p.number), **ids)
        joined = threading.Event()
        self._joining[p.ids[0]] = joined
        try:
            fields = self.fields(p)
            self.bridge.call(lambda: self.placeholders.expect_virtual(waiter), timeout=2.0)
            self.bridge.run(self.ami.action({**fields, "Action": "Originate", "Async": "true"},
                                            as_list=False, timeout=self.settings.join_timeout_s),
                            timeout=self.settings.join_timeout_s + 1.0)
            placed = joined.wait(self.settings.join_timeout_s)
        except (AmiError, AmiUnsafeValue, TimeoutError, RuntimeError) as exc:
            bound.warning("keep_place.originate_failed", error_id=getattr(exc, "error_id", ""),
                          detail=str(exc)[:200])
            placed = False
        finally:
            self._joining.pop(p.ids[0], None)
        if not placed:
            service.settle_keep_place(self.engine, request_id, "cancelled",
                                      "placeholder never joined the queue")
            bound.warning("keep_place.not_placed")
            return "not_placed"
        bound.info("keep_place.placed", outcome=outcome)
        return "placed"

    # -- from the tracker's outcomes (on the loop) ----------------------------------
    def on_outcomes(self, outcomes: Sequence[oc.Outcome]) -> None:
        for o in outcomes:
            if isinstance(o, oc.CallCompleted):
                self.handle_times.completed(o.queue, o.talk_s)
            if not kp.is_virtual(getattr(o, "uniqueid", "")):
                continue
            if isinstance(o, oc.CallJoined):
                joined = self._joining.get(o.uniqueid)
                if joined is not None:
                    joined.set()
            elif isinstance(o, oc.TicketOpened):
                self._settle_soon(o.uniqueid, "connected",
                                  f"an agent took the place in {o.queue}")
            elif isinstance(o, oc.CallAbandoned):  # its wait ran out (or it was ended)
                self._settle_soon(o.uniqueid, "expired", "placeholder left the queue")

    def _settle_soon(self, uniqueid: str, status: str, note: str) -> None:
        request_id = kp.request_of(uniqueid)
        if request_id is None:
            return
        self.bridge_spawn(asyncio.to_thread(self.settle, request_id, status, note))

    def bridge_spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(_log_failure)

    def settle(self, request_id: int, status: str, note: str,
               only_from: tuple[str, ...] = service.KEEP_PLACE_OPEN,
               outcome: str | None = None) -> None:
        phone = service.settle_keep_place(self.engine, request_id, status, note,
                                          only_from=only_from, outcome=outcome,
                                          at=self.clock.now())
        if phone is None:
            return
        log.info("keep_place.settled", request=request_id, status=status, outcome=outcome,
                 phone=mask(phone))
        if status in ("expired", "missed", "not_dialed"):
            self.move_to_after_hours(request_id, phone)

    def move_to_after_hours(self, request_id: int, phone: str) -> None:
        number = PhoneNumber.or_none(phone)
        if number is None:
            return
        outcome = self.to_after_hours(number, self.clock.now())
        log.info("keep_place.moved_to_after_hours", request=request_id, callback=outcome,
                 phone=mask(phone))

    # -- at start, and the job -----------------------------------------------------
    def resume(self) -> None:
        """At start (on the loop, before the AMI link): the tracker is told of every
        request still waiting, whose placeholder a resync will find in its queue."""
        for waiter in service.waiting_keep_place(self.engine, self.campaign()):
            self.placeholders.expect_virtual(waiter)

    def expire(self) -> int:
        """Requests past their expiry whose placeholder's end was never seen; requests
        an agent took whose call's end was never seen, an hour after that."""
        now = self.clock.now()
        overdue = service.overdue_keep_place(self.engine, self.campaign(), now - 60.0)
        for request_id in overdue:
            self.settle(request_id, "expired", f"expired after {self.settings.expiry_hours:g} h")
        unfinished = service.overdue_keep_place(self.engine, self.campaign(),
                                                now - UNFINISHED_AFTER_S, status=TAKEN)
        for request_id in unfinished:
            self.settle(request_id, "done", "the call's end was not seen", only_from=TAKEN)
        return len(overdue) + len(unfinished)


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("keep_place.task_failed", exc_info=task.exception())


def queue_name(text: str) -> str | None:
    return text if is_name(text) else None


def joined_at_from(text: str, now: float) -> float:
    """CC_JOINED (${EPOCH} set by the dialplan before Queue), if plausible; else now."""
    try:
        at = float(text)
    except ValueError:
        return now
    return at if now - 86400.0 <= at <= now + 5.0 else now
