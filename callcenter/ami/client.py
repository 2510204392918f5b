"""The AMI connection, on panoramisk, with its 1.4 faults guarded.

panoramisk gives us framing, message parsing and action/response matching.  This
module owns everything about the connection's life, because panoramisk 1.4 gets
these wrong (each guard has a test in tests/unit/test_ami_client.py):

* an exception in a synchronous event callback propagates out of
  `data_received`, killing the connection and dropping the rest of that TCP chunk:
  the protocol's message handler and our callback never raise;
* `Originate` whose `Async` is not the string "true"/"false" raises
  `KeyError('async')` inside the response matcher and the caller hangs forever:
  `originate()` always sends the string, and every action has a timeout;
* its ping never notices a half-open connection: our watchdog pings with a
  deadline and drops the link when Asterisk stops answering;
* actions in flight when the connection drops are left unresolved and re-sent
  blindly on the next FullyBooted (a second Originate dials twice): we fail them
  with `AmiConnectionLost` and never re-send;
* values are not cleaned of CR/LF (header injection): we reject them.

Reconnection is ours too: capped exponential back-off, and a refused login waits
the full cap, logged as `ami.login_refused`, never a hot loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from panoramisk import Manager
from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from callcenter.ami.settings import AmiSettings
from callcenter.errors import (
    AmiActionFailed,
    AmiConnectionLost,
    AmiError,
    AmiLoginRefused,
    AmiTimeout,
    AmiUnsafeValue,
)

log = structlog.get_logger("callcenter.ami")

RawMessage = dict[str, str]
MessageHandler = Callable[[RawMessage], None]
# (event name, Uniqueid) -> whether the handler wants the message at all.  Most of
# AMI's traffic (Newchannel, DialBegin, VarSet...) is of no interest: skipping it
# before it is copied out of panoramisk's message is the cheapest thing we can do.
MessageFilter = Callable[[str, str], bool]



def check_safe(fields: Mapping[str, str]) -> dict[str, str]:
    """Refuse CR/LF anywhere in an action: it would start a new AMI header."""
    clean: dict[str, str] = {}
    for key, value in fields.items():
        text = str(value)
        if any(c in key or c in text for c in "\r\n"):
            raise AmiUnsafeValue(f"{key!r} contains CR or LF; refusing to send it to Asterisk")
        clean[key] = text
    return clean


def flatten(message: Mapping[str, Any]) -> RawMessage:
    """A panoramisk Message as a plain dict; a repeated header keeps every value, joined.

    Reads panoramisk's own storage: its case-insensitive mapping API costs more per
    message than everything the tracker does with it."""
    store = getattr(message, "_store", None)
    pairs = store.values() if isinstance(store, dict) else message.items()
    return {key: (",".join(value) if isinstance(value, list) else value)
            for key, value in pairs if key != "content"}


_END = b"\r\n\r\n"
_GREETING = b"Asterisk Call Manager/"
_HAS_BODY = ("Response: Follows", "Response: Fail")
_STARTS = ("Event:", "Response:")
MAX_MESSAGE_BYTES = 1 << 20  # no AMI message comes near this: a peer sending more is broken


def split_merged(text: str) -> list[str]:
    """Messages a peer separated by a single CRLF arrive as one block: a second
    `Event:` or `Response:` header starts the next message (otherwise the first
    message's headers are overwritten by the second's and a call is lost)."""
    if "\r\nEvent:" not in text and "\r\nResponse:" not in text:
        return [text]  # the usual case: one message, no second header to split at
    lines = text.split("\r\n")
    if lines[0].startswith(_HAS_BODY):
        return [text]
    messages: list[list[str]] = [[]]
    seen: set[str] = set()  # which of Event / Response the current message has
    for line in lines:
        # An event may carry a Response header (OriginateResponse does); a second
        # Event, or a second Response, can only be the next message.
        header = next((h for h in _STARTS if line.startswith(h)), None)
        if header is not None and (header in seen or (header == "Event:" and seen)):
            messages.append([])
            seen = set()
        if header is not None:
            seen.add(header)
        messages[-1].append(line)
    return ["\r\n".join(m) for m in messages if m]


class _GuardedProtocol(AMIProtocol):  # type: ignore[misc]
    """Frames bytes, not text: panoramisk 1.4 decodes each TCP chunk on its own with
    errors ignored, so a character split across two reads vanished (王芳 became 芳)
    and a byte that is not UTF-8 was silently dropped.  Here each whole message is
    decoded once, with undecodable bytes replaced visibly (U+FFFD)."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._pending = b""

    def data_received(self, data: bytes) -> None:
        buffer = self._pending + data
        if getattr(self, "version", None) is None and buffer.startswith(_GREETING):
            greeting, found, rest = buffer.partition(b"\r\n")
            if not found:
                self._pending = buffer
                return
            self.version = greeting.decode("ascii", "replace").partition("/")[2].strip()
            buffer = rest
        *blocks, self._pending = buffer.split(_END)
        if len(self._pending) > MAX_MESSAGE_BYTES:
            log.warning("ami.oversized_message", error_id="ami.malformed_event",
                        bytes=len(self._pending))
            self._pending = b""
        for block in blocks:
            text = block.decode(getattr(self, "encoding", None) or "utf-8", "replace").strip()
            for part in split_merged(text):
                try:
                    message = Message.from_line(part)
                except Exception:  # a message panoramisk cannot parse is skipped, not fatal
                    log.warning("ami.malformed_event", error_id="ami.malformed_event",
                                detail="unparsable message")
                    continue
                if message is not None:
                    self.handle_message(message)

    def handle_message(self, message: Any) -> None:
        try:
            super().handle_message(message)
        except Exception:
            # A fault in panoramisk's matcher or in dispatch must not kill the link
            # nor the rest of this chunk.
            log.exception("ami.message_failed", ami_event=message.get("Event"))


class _Manager(Manager):  # type: ignore[misc]
    """panoramisk's Manager reduced to dispatch; the client owns the connection."""

    def __init__(self, on_message: MessageHandler, on_lost: Callable[[], None],
                 wants: MessageFilter | None = None) -> None:
        super().__init__(protocol_factory=_GuardedProtocol)
        self._wants = wants
        # Drop panoramisk's FullyBooted hook that re-sends in-flight actions.
        self.callbacks.clear()
        self.patterns.clear()
        self._on_message = on_message
        self._on_lost = on_lost
        self.received = 0  # every event off the wire, wanted or not (a plain int: metrics)
        self.register_event("*", self._deliver)

    def _deliver(self, _manager: Any, message: Any) -> None:
        self.received += 1
        try:
            if self._wants is not None:
                store = getattr(message, "_store", None)
                if isinstance(store, dict):
                    name = store.get("event", ("", ""))[1]
                    uniqueid = store.get("uniqueid", ("", ""))[1]
                else:
                    name, uniqueid = message.get("Event", ""), message.get("Uniqueid", "")
                if not self._wants(name, uniqueid):
                    return
            self._on_message(flatten(message))
        except Exception:
            log.exception("ami.handler_failed", ami_event=message.get("Event"))

    def connection_lost(self, exc: Any) -> None:  # called by the protocol
        self._connected = False
        self.awaiting_actions.clear()
        self._on_lost()

    def ping(self) -> None:  # our watchdog pings instead
        return None


class AmiClient:
    def __init__(
        self,
        settings: AmiSettings,
        on_message: MessageHandler,
        on_connected: Callable[[], Awaitable[None]] | None = None,
        wants: MessageFilter | None = None,
        on_state: Callable[[bool, str], None] | None = None,
    ) -> None:
        self.settings = settings
        self._on_connected = on_connected
        # Told of every change of the link: (up, what happened), for the outage alerts.
        self._on_state = on_state or (lambda _up, _detail: None)
        self._manager = _Manager(on_message, self._mark_lost, wants)
        self._protocol: _GuardedProtocol | None = None
        self._in_flight: dict[str, Action] = {}
        self._lost = asyncio.Event()
        self._connected = asyncio.Event()
        self._logged_in = False
        self._stopping = False
        self.connections = 0  # successful logins so far, for tests and metrics

    @property
    def messages_received(self) -> int:
        """AMI events received since start, before any feature's filter."""
        return self._manager.received

    # -- life cycle -------------------------------------------------------------
    async def run(self) -> None:
        """Connect, keep connected, reconnect; returns when `stop()` is called."""
        backoff = self.settings.backoff_initial_s
        while not self._stopping:
            try:
                await self._connect_and_login()
            except AmiLoginRefused as exc:
                log.error("ami.login_refused", error_id=exc.error_id, detail=str(exc),
                          retry_in_s=self.settings.backoff_max_s)
                self._on_state(False, "login refused")
                await self._sleep(self.settings.backoff_max_s)
                continue
            except (OSError, TimeoutError, AmiTimeout, AmiConnectionLost) as exc:
                log.warning("ami.connect_failed", server=self.settings.name, host=self.settings.host,
                            port=self.settings.port, error=str(exc) or type(exc).__name__,
                            retry_in_s=backoff)
                self._on_state(False, "cannot connect")
                self._drop_transport()
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.settings.backoff_max_s)
                continue
            backoff = self.settings.backoff_initial_s
            self.connections += 1
            log.info("ami.connected", server=self.settings.name, host=self.settings.host,
                     port=self.settings.port)
            self._on_state(True, "connected")
            try:
                if self._on_connected is not None:
                    await self._on_connected()
                self._connected.set()
                await self._watch()
            except AmiError as exc:  # resync or ping failed on a dying link
                log.warning("ami.session_failed", error=str(exc) or type(exc).__name__)
            finally:
                self._connected.clear()
                self._drop_transport()
                self._fail_in_flight()
            if not self._stopping:
                log.warning("ami.disconnected", server=self.settings.name, retry_in_s=backoff)
                self._on_state(False, "disconnected")
                await self._sleep(backoff)

    def stop(self) -> None:
        self._stopping = True
        self._lost.set()

    async def wait_connected(self, timeout: float) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def _sleep(self, seconds: float) -> None:
        self._lost.clear()
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._lost.wait(), seconds)

    async def _connect_and_login(self) -> None:
        loop = asyncio.get_running_loop()
        self._lost.clear()
        _transport, protocol = await asyncio.wait_for(
            loop.create_connection(_GuardedProtocol, self.settings.host, self.settings.port),
            self.settings.connect_timeout_s,
        )
        protocol.queue = deque()
        protocol.factory = self._manager
        protocol.encoding = "utf8"
        protocol.config = self._manager.config
        self._manager.protocol = protocol
        self._protocol = protocol
        reply = await self._send(
            {
                "Action": "Login",
                "Username": self.settings.username,
                "Secret": self.settings.secret,
                "Events": "on",
            },
            require_connected=False,
        )
        if not reply.success:
            raise AmiLoginRefused(
                f"Asterisk refused the login of {self.settings.username!r}: {reply.get('Message', '')}"
            )
        self._logged_in = True

    async def _watch(self) -> None:
        """Ping on a deadline until the link is lost or we stop."""
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.settings.ping_interval_s)
            if self._lost.is_set():
                return
            try:
                await self._send({"Action": "Ping"}, timeout=self.settings.ping_timeout_s)
            except AmiTimeout:
                log.warning("ami.ping_timeout", after_s=self.settings.ping_timeout_s)
                return

    def _mark_lost(self) -> None:
        self._lost.set()

    def _drop_transport(self) -> None:
        protocol, self._protocol = self._protocol, None
        self._logged_in = False
        if protocol is not None and not getattr(protocol, "closed", True):
            protocol.responses.clear()  # so close() queues nothing for re-sending
            protocol.close()
        self._manager.awaiting_actions.clear()

    def _fail_in_flight(self) -> None:
        pending, self._in_flight = self._in_flight, {}
        for action in pending.values():
            if not action.future.done():
                action.future.set_exception(
                    AmiConnectionLost(f"connection lost while {action['Action']} was in flight")
                )

    # -- actions ----------------------------------------------------------------
    async def action(self, fields: Mapping[str, str], *, as_list: bool = False,
                     timeout: float | None = None) -> Any:
        """Send an action and return its response (or list of messages for lists).

        Raises AmiConnectionLost, AmiTimeout, AmiActionFailed, AmiUnsafeValue.
        Never re-sent: the caller decides whether a retry is safe.
        """
        reply = await self._send(dict(fields), as_list=as_list, timeout=timeout)
        first = reply[0] if isinstance(reply, list) else reply
        if first.get("Response") == "Error":
            raise AmiActionFailed(f"{fields.get('Action')}: {first.get('Message', 'error')}")
        return reply

    async def originate(self, fields: Mapping[str, str], *, timeout: float) -> Any:
        """Originate, always with `Async: true` as a string (panoramisk's KeyError guard).

        Returns [Response, OriginateResponse] once Asterisk reports the outcome.
        """
        return await self.action({**fields, "Action": "Originate", "Async": "true"},
                                 as_list=True, timeout=timeout)

    async def _send(self, fields: Mapping[str, str], *, as_list: bool | None = None,
                    timeout: float | None = None, require_connected: bool = True) -> Any:
        clean = check_safe(fields)
        protocol = self._protocol
        if protocol is None or (require_connected and not self._logged_in):
            raise AmiConnectionLost(f"not connected; {clean.get('Action')} not sent")
        action = Action(clean, as_list=as_list)
        self._in_flight[action.id] = action
        action.future.add_done_callback(lambda _f: self._in_flight.pop(action.id, None))
        protocol.send(action, as_list=as_list)
        try:
            return await asyncio.wait_for(
                asyncio.shield(action.future), timeout or self.settings.action_timeout_s
            )
        except TimeoutError as exc:
            protocol.responses.pop(action.id, None)
            self._in_flight.pop(action.id, None)
            if not action.future.done():
                action.future.cancel()
            raise AmiTimeout(f"{clean.get('Action')}: no answer in time") from exc

