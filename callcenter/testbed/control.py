"""Drive the test bed's simulated people through AMI (admin account).

Agents are Local channels in the `testbed-agents` context whose answer delay is a
global variable; callers are Local channels in `testbed-callers` that hang up
after their patience runs out.  Used by the integration tests, the fixture
recorder and the demo's traffic simulator.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from callcenter.ami.client import AmiClient, RawMessage, flatten
from callcenter.ami.settings import AmiSettings
from callcenter.testbed.asterisk import ADMIN_SECRET, ADMIN_USER, TestBed

SHIPPED_QUEUES = ("support", "complaints", "callback")  # dialplan/queues_callcenter.conf


def agent_interface(agent_id: str) -> str:
    return f"Local/{agent_id}@testbed-agents/n"


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    answer_after: float | None  # None: never answers
    talk_s: float = 3600
    says: str = ""  # a sound file the agent plays once answered (then talks talk_s)

    @property
    def interface(self) -> str:
        return agent_interface(self.agent_id)


class Controller:
    """An admin AMI session for the test bed; use as `async with Controller(bed)`."""

    def __init__(self, bed: TestBed) -> None:
        self.events: list[RawMessage] = []
        self._arrived = asyncio.Event()
        self._client = AmiClient(
            AmiSettings(port=bed.ami_port, username=ADMIN_USER, secret=ADMIN_SECRET,
                        backoff_initial_s=0.2, backoff_max_s=1.0),
            on_message=self._on_message,
        )
        self._task: asyncio.Task[None] | None = None
        self._originates: set[asyncio.Task[object]] = set()

    async def __aenter__(self) -> Controller:
        self._task = asyncio.create_task(self._client.run(), name="testbed-controller")
        await self._client.wait_connected(15)
        return self

    async def __aexit__(self, *exc: object) -> None:
        pending = list(self._originates)
        for task in pending:
            task.cancel()
        self._client.stop()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._task is not None:
            await self._task

    def _on_message(self, message: RawMessage) -> None:
        self.events.append(message)
        self._arrived.set()

    async def wait_for_event(self, name: str, timeout: float, seen: int = 0, *,
                             uniqueid: str | None = None) -> RawMessage:
        """The first `name` event after the first `seen` events (of the channel
        `uniqueid` only, when given: another scenario's channel may end meanwhile)."""
        async with asyncio.timeout(timeout):
            while True:
                for message in self.events[seen:]:
                    if message.get("Event") == name and uniqueid in (None, message.get("Uniqueid")):
                        return message
                self._arrived.clear()
                await self._arrived.wait()

    async def set_agent(self, agent: Agent) -> None:
        answer = "never" if agent.answer_after is None else f"{agent.answer_after:g}"
        await self._setvar(f"AGENT_{agent.agent_id}_ANSWER", answer)
        await self._setvar(f"AGENT_{agent.agent_id}_TALK", f"{agent.talk_s:g}")
        await self._setvar(f"AGENT_{agent.agent_id}_SAY", agent.says)

    async def answer_customer(self, number: str) -> None:
        """A `1990 7` customer of testbed-customers, ringing, answers now."""
        await self._setvar(f"CUSTOMER_{number}_ANSWER", "yes")

    async def _setvar(self, name: str, value: str) -> None:
        await self._client.action({"Action": "Setvar", "Variable": name, "Value": value})

    async def login(self, queue: str, agent: Agent, paused: bool = False,
                    reason: str = "") -> None:
        await self.set_agent(agent)
        fields = {"Action": "QueueAdd", "Queue": queue, "Interface": agent.interface,
                  "MemberName": agent.name, "Paused": "true" if paused else "false"}
        if reason:
            fields["Reason"] = reason
        await self._client.action(fields)

    async def logout(self, queue: str, agent: Agent) -> None:
        await self._client.action({"Action": "QueueRemove", "Queue": queue,
                                   "Interface": agent.interface})

    async def pause(self, queue: str, agent: Agent, paused: bool, reason: str = "") -> None:
        await self._client.action({"Action": "QueuePause", "Queue": queue,
                                   "Interface": agent.interface,
                                   "Paused": "true" if paused else "false", "Reason": reason})

    async def clear_queues(self, queues: tuple[str, ...] = SHIPPED_QUEUES) -> None:
        """Log every member out of the shipped queues and hang up the callers still
        waiting in them (an earlier scenario's patient caller would otherwise reach this
        one's agents): a clean start for a scenario."""
        for queue in queues:
            await self.logout_all(queue)

    async def logout_all(self, queue: str) -> None:
        reply = await self._client.action({"Action": "QueueStatus", "Queue": queue}, as_list=True)
        for msg in reply:
            if msg.get("Event") == "QueueMember":
                await self._client.action({"Action": "QueueRemove", "Queue": queue,
                                           "Interface": msg["Location"]})
            elif msg.get("Event") == "QueueEntry" and msg.get("Channel"):
                await self._client.action({"Action": "Hangup", "Channel": msg["Channel"]})

    def call(self, queue: str, caller_number: str, patience_s: int,
             channel_id: str | None = None,
             queue_timeout_s: int | None = None, *,
             did: str | None = None) -> asyncio.Task[object]:
        """A caller dials in to `queue` and hangs up after `patience_s` seconds in all;
        with `queue_timeout_s` the queue itself gives up on them (EXITWITHTIMEOUT).  With
        `did`, the caller dials that number from the trunk instead (the shipped DID
        example, from-trunk-callcenter, routes it to its queue)."""
        fields = {
            "Channel": f"Local/{patience_s}@testbed-callers/n",
            "Context": "from-trunk-callcenter" if did else "callcenter-inbound",
            "Exten": did or queue,
            "Priority": "1",
            "CallerID": f'"Caller" <{caller_number}>',
            "Timeout": "10000",
        }
        if channel_id:
            fields["ChannelId"] = channel_id
        if queue_timeout_s is not None:
            fields["Variable"] = f"CC_QUEUE_TIMEOUT={queue_timeout_s}"
        task: asyncio.Task[object] = asyncio.create_task(
            self._client.originate(fields, timeout=15), name=f"call-{caller_number}")
        self._originates.add(task)
        task.add_done_callback(self._originates.discard)
        return task

    def rate(self, queue: str, caller_number: str, key: str, after_s: int) -> asyncio.Task[object]:
        """A caller who, `after_s` seconds into the call (the agent has hung up by then),
        presses `key` once a second until the survey hangs up (testbed-raters)."""
        if not (len(key) == 1 and key.isdigit() and 0 <= after_s <= 99):
            raise ValueError("a rater presses one digit, 0-99 s into the call")
        fields = {
            "Channel": f"Local/{key}{after_s:02d}@testbed-raters/n",
            "Context": "callcenter-inbound",
            "Exten": queue,
            "Priority": "1",
            "CallerID": f'"Caller" <{caller_number}>',
            "Timeout": "10000",
        }
        task: asyncio.Task[object] = asyncio.create_task(
            self._client.originate(fields, timeout=15), name=f"rater-{caller_number}")
        self._originates.add(task)
        task.add_done_callback(self._originates.discard)
        return task

    async def phone_dials(self, agent_id: str, code: str) -> asyncio.Task[object]:
        """Agent `agent_id`'s own phone dials `code` (a feature code: *71, *732, ...) from
        its context, testbed-phones (testbed-handsets); `derive` for a phone that sets
        no CC_MEMBER."""
        if agent_id != "derive":
            await self._setvar(f"PHONE_{agent_id}_DIALS", code)
        fields = {"Channel": f"Local/{agent_id}@testbed-handsets/n",
                  "Context": "testbed-callers", "Exten": "30", "Priority": "1",
                  "Timeout": "10000"}
        task: asyncio.Task[object] = asyncio.create_task(
            self._client.originate(fields, timeout=15), name=f"phone-{agent_id}-{code}")
        self._originates.add(task)
        task.add_done_callback(self._originates.discard)
        return task

    async def redirect(self, channel: str, context: str, exten: str) -> None:
        await self._client.action({"Action": "Redirect", "Channel": channel,
                                   "Context": context, "Exten": exten, "Priority": "1"})

    async def channels(self) -> list[RawMessage]:
        """Asterisk's live channels now (CoreShowChannels), each as its entry's fields."""
        reply = await self._client.action({"Action": "CoreShowChannels"}, as_list=True)
        return [flatten(m) for m in reply if m.get("Event") == "CoreShowChannel"]

    async def hangup(self, channel: str) -> None:
        await self._client.action({"Action": "Hangup", "Channel": channel})
