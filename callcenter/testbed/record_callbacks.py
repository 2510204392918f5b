"""Record callback attempts on the real test bed as replay fixtures.

    python -m callcenter.testbed.record_callbacks [SCENARIO ...]

Each attempt is originated exactly as the dialer does (`originate_fields`, plus the
`Action` and `Async: true` that AmiClient.originate adds) on the daemon's own
least-privilege account, and everything that session receives is stored in wire
order with the seconds since the Originate was sent: the channel's events and the
Originate's replies (`Response`, then `OriginateResponse`).  A plain socket is used
rather than panoramisk, which hands an action's replies to the caller out of
sequence with the events.  A scenario may cut the link while the attempt is under
way and log in again later, asking CoreShowChannels as the dialer's reconciliation
does, then the channel's MEMBERINTERFACE (Getvar) as the dialer asks it of a call an
agent took meanwhile; both replies are stored too, and the cut under "link".  The customer's number
picks its behaviour in the test bed's `testbed-customers` context.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from callcenter.ami.client import check_safe
from callcenter.callbacks.dialer import OriginateSpec, originate_fields
from callcenter.domain.attempts import AttemptRef, Mode
from callcenter.errors import TestBedError
from callcenter.testbed.asterisk import DAEMON_SECRET, DAEMON_USER, PROJECT_DIR, TestBed
from callcenter.testbed.control import Agent, Controller

FIXTURES = PROJECT_DIR / "tests" / "fixtures" / "callbacks"
RING_S = 6.0  # the dialer's ring timeout, as tests/integration/test_callbacks_live.py sets it
SPEC = OriginateSpec(channel_template="Local/{number}@testbed-customers/n",
                     customer_first_context="callcenter-callback",
                     agent_first_context="callcenter-callback-agent-first",
                     callback_queue="callback", caller_id="", ring_timeout_s=RING_S)
CALLBACK_AGENT = Agent("4000", "cb0", answer_after=1, talk_s=4)  # in the callback queue
ASSIGNED_AGENT = Agent("4300", "af", answer_after=1, talk_s=4)  # agent-first campaigns

Message = dict[str, str]


@dataclass(frozen=True)
class CallbackScenario:
    name: str
    description: str
    number: str  # 1990 + behaviour digit + ...: see callcenter/testbed/conf/extensions.conf
    settle_s: float  # recorded this long after the Originate
    mode: Mode = Mode.CUSTOMER_FIRST
    agent: Agent = CALLBACK_AGENT
    cut: tuple[float, float] | None = None  # link lost at, logged in again at (s)


class _Wire:
    """One AMI session on a plain socket: every message kept, in the order it came."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 keep: Callable[[Message], None]) -> None:
        self._reader = reader
        self._writer = writer
        self._keep = keep
        self._pump: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, port: int, keep: Callable[[Message], None]) -> _Wire:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        wire = cls(reader, writer, keep)
        await reader.readline()  # "Asterisk Call Manager/..." has no blank line
        login = f"login-{uuid.uuid4().hex}"
        await wire.send({"Action": "Login", "Username": DAEMON_USER, "Secret": DAEMON_SECRET,
                         "Events": "on", "ActionID": login})
        while (reply := await wire._read()).get("ActionID") != login:
            pass
        if reply.get("Response") != "Success":
            raise TestBedError(f"the daemon's AMI account was refused: {reply}")
        wire._pump = asyncio.create_task(wire._run(), name="callback-recorder")
        return wire

    async def _read(self) -> Message:
        block = (await self._reader.readuntil(b"\r\n\r\n")).decode("utf-8", "replace")
        message: Message = {}
        for line in block.split("\r\n"):
            key, sep, value = line.partition(": ")
            if sep:  # a repeated header keeps every value, as client.flatten does
                message[key] = f"{message[key]},{value}" if key in message else value
        return message

    async def _run(self) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                self._keep(await self._read())

    async def send(self, fields: dict[str, str]) -> None:
        text = "".join(f"{k}: {v}\r\n" for k, v in check_safe(fields).items()) + "\r\n"
        self._writer.write(text.encode())
        await self._writer.drain()

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump


class _Tape:
    """The stream, timed from the Originate; nothing before it is kept."""

    def __init__(self) -> None:
        self.records: list[dict[str, object]] = []
        self.start: float | None = None

    def roll(self) -> None:
        self.start = time.monotonic()

    def since(self) -> float:
        return 0.0 if self.start is None else round(time.monotonic() - self.start, 3)

    def keep(self, message: Message) -> None:
        if self.start is not None:
            self.records.append({"t": self.since(), "event": message})


async def record(bed: TestBed, sc: CallbackScenario) -> dict[str, object]:
    tape = _Tape()
    fixture: dict[str, object] = {"scenario": sc.name, "description": sc.description,
                                  "recorded_with": "Asterisk 22 (Debian sid) test bed, "
                                                   "the daemon's AMI account"}
    async with Controller(bed) as controller:
        await controller.clear_queues()
        if sc.mode is Mode.AGENT_FIRST:
            await controller.set_agent(sc.agent)
        else:
            await controller.login("callback", sc.agent)
        wire = await _Wire.open(bed.ami_port, tape.keep)
        await asyncio.sleep(0.5)  # the login's own FullyBooted passes unrecorded
        ref = AttemptRef(1, 1, f"cb-{uuid.uuid4().hex}", f"cb-act-{uuid.uuid4().hex}",
                         sc.number, sc.mode)
        action = {**originate_fields(SPEC, ref, sc.agent.interface),
                  "Action": "Originate", "Async": "true"}
        fixture["originated"] = [{"t": 0.0, "mode": sc.mode.value, "attempt_id": ref.attempt_id,
                                  "campaign_id": ref.campaign_id, "phone": ref.phone,
                                  "action": action}]
        tape.roll()
        await wire.send(action)
        if sc.cut is not None:
            lost_at, back_at = sc.cut
            await asyncio.sleep(lost_at)
            await wire.close()
            lost = tape.since()
            await asyncio.sleep(back_at - lost_at)
            wire = await _Wire.open(bed.ami_port, tape.keep)
            reconcile = {"Action": "CoreShowChannels",
                         "ActionID": f"cb-reconcile-{uuid.uuid4().hex}"}
            member = {"Action": "Getvar", "Channel": ref.uniqueid, "Variable": "MEMBERINTERFACE",
                      "ActionID": f"cb-member-{uuid.uuid4().hex}"}
            fixture["link"] = {"lost_at": lost, "reconnected_at": tape.since(),
                               "reconcile": reconcile, "member": member}
            await wire.send(reconcile)
            await wire.send(member)  # answered after CoreShowChannels: one action at a time
        await asyncio.sleep(max(0.0, sc.settle_s - tape.since()))
        await wire.close()
    fixture["events"] = tape.records
    return fixture


SCENARIOS = {
    s.name: s
    for s in (
        CallbackScenario("answered", "customer-first: the customer answers after 3 s and "
                         "waits in the callback queue; cb0 answers after 1 s, hangs up after 4 s",
                         "19901030001", 11),
        CallbackScenario("busy", "customer-first: the customer is busy", "19902000002", 3),
        CallbackScenario("no_answer", "customer-first: the customer never answers; the "
                         "Originate times out after 6 s", "19903000003", 9),
        CallbackScenario("congestion", "customer-first: the network is congested",
                         "19904000004", 3),
        CallbackScenario("unallocated", "customer-first: unallocated number, Hangup(1)",
                         "19905000005", 3),
        CallbackScenario("powered_off", "customer-first: subscriber absent, Hangup(20)",
                         "19906000006", 3),
        CallbackScenario("agent_first", "agent-first: af answers after 1 s, the customer "
                         "after 2 s more; af hangs up 4 s after answering", "19901020031", 8,
                         Mode.AGENT_FIRST, ASSIGNED_AGENT),
        CallbackScenario("agent_first_busy", "agent-first: af answers after 1 s, the "
                         "customer is busy", "19902000032", 4, Mode.AGENT_FIRST, ASSIGNED_AGENT),
        CallbackScenario("agent_first_agent_absent", "agent-first: af never answers; the "
                         "Originate times out after 6 s", "19901020033", 9, Mode.AGENT_FIRST,
                         Agent("4301", "absent", answer_after=None)),
        CallbackScenario("reconnect_while_ringing", "customer-first: the link drops 2 s in, "
                         "while the customer rings; logged in again at 4 s (CoreShowChannels: "
                         "still ringing); the customer answers at 5 s, cb0 takes it",
                         "19901050013", 13, cut=(2, 4)),
        CallbackScenario("reconnect_then_no_answer", "customer-first: the link drops 2 s in, "
                         "while the customer rings; logged in again at 4 s (still ringing); "
                         "the Originate times out at 6 s and its OriginateResponse reaches the "
                         "new session as a plain event", "19903000016", 9, cut=(2, 4)),
        CallbackScenario("reconnect_after_answer", "customer-first: the link drops 1 s in; "
                         "the customer answers at 3 s and cb0 at 4 s while we are away; "
                         "logged in again at 6 s (CoreShowChannels: Up)", "19901030014", 11,
                         cut=(1, 6)),
        CallbackScenario("reconnect_vanished", "customer-first: the link drops 1 s in; the "
                         "customer never answers and the Originate times out at 6 s while we "
                         "are away; logged in again at 8 s: the channel is gone",
                         "19903000015", 10, cut=(1, 8)),
    )
}


async def main(names: list[str]) -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name in names or list(SCENARIOS):
        bed = TestBed(name="cbrecorder")
        bed.start()
        try:
            fixture = await record(bed, SCENARIOS[name])
        finally:
            bed.stop()
        path = FIXTURES / f"{name}.json"
        path.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        events = fixture["events"]
        print(f"{path}: {len(events) if isinstance(events, list) else 0} messages")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
