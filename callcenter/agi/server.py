"""The FastAGI server: the shipped dialplan asks the daemon through `${CC_AGI}/<script>`.

Connections are accepted in the daemon's event loop; each session then runs in a
worker thread, where pyst2's `AGI` speaks the protocol over the socket's file objects
(its commands block: a prompt plays for seconds).  At most `max_sessions` run at once.
A peer that stalls, sends garbage or hangs up, a script that fails, a call beyond the
limit: each ends only its own session, logged with the call's ids, and the dialplan
goes on with its defaults.  The AMI path never waits for any of it."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO

import structlog
from asterisk.agi import AGI, AGIAppError, AGIError

from callcenter.agi.settings import AgiSettings
from callcenter.core.health import Health
from callcenter.domain.phone import PhoneNumber, PhoneRules
from callcenter.domain.text import clean
from callcenter.errors import (
    AgiListenFailed,
    AgiProtocolError,
    AgiScriptFailed,
    AgiSessionsFull,
    AgiTimeout,
)

log = structlog.get_logger("callcenter.agi")

MAX_LINE_BYTES = 4096  # Asterisk's lines are far shorter; a longer one is no Asterisk
MAX_ENV_LINES = 100  # Asterisk 22 sends about 25 before the blank line
MAX_SESSION_LINES = 1000  # a script reads a handful of replies
LISTEN_RETRY_S = 5.0
_ID = re.compile(r"[A-Za-z0-9._;-]{1,64}")  # as at the AMI boundary
_SCRIPT = re.compile(r"[a-z_]{1,32}")
# Scripts of issue 11 that come later: the dialplan may already call them.
NOT_YET: frozenset[str] = frozenset()


class PeerGone(Exception):
    """The peer closed the connection."""


class _Lines:
    """The socket's read side as pyst2 reads it (`readline()` returning text), with the
    limits a peer must keep.  Asterisk's `HANGUP` notice (sent when the channel hangs
    up between commands) is noted and skipped, so pyst2 reads the reply it waits for."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._left = MAX_ENV_LINES
        self.hung_up = False

    def env_read(self) -> None:
        self._left = MAX_SESSION_LINES

    def readline(self, *_ignored: object) -> str:
        while True:
            data = self._raw.readline(MAX_LINE_BYTES + 1)
            if not data:
                raise PeerGone("the peer closed the connection")
            if len(data) > MAX_LINE_BYTES:
                raise AgiProtocolError(f"a line longer than {MAX_LINE_BYTES} bytes")
            self._left -= 1
            if self._left < 0:
                raise AgiProtocolError("more lines than any script reads")
            text = data.decode("utf-8", "replace")
            if text.strip() == "HANGUP":
                self.hung_up = True
                continue
            return text


class _NoTrace:
    """pyst2 traces every line to stderr; a server has its own log."""

    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass


class _Agi(AGI):  # type: ignore[misc]  # pyst2 has no type information
    def __init__(self, lines: _Lines, out: TextIO) -> None:
        # pyst2's own __init__ installs a SIGHUP handler, which only the main thread may
        # do (and which would replace the daemon's): its state is set here instead.  The
        # environment, the commands and their replies are all pyst2's.
        self.stdin = lines
        self.stdout = out
        self.stderr = _NoTrace()
        self._got_sighup = False
        self.env: dict[str, str] = {}
        self._get_agi_env()


@dataclass(frozen=True, slots=True)
class Call:
    """One session's call, its values checked: what a script gets."""

    agi: Any  # pyst2's AGI, connected to this call's channel
    script: str
    uniqueid: str
    linkedid: str
    caller: PhoneNumber | None  # None: no caller ID, or one that is no phone number

    @property
    def ids(self) -> dict[str, str]:
        return {"uniqueid": self.uniqueid, "linkedid": self.linkedid, "script": self.script}


Script = Callable[[Call], str]  # runs in the session's thread; returns its status word


def _checked_id(value: str, what: str) -> str:
    if not _ID.fullmatch(value):
        raise AgiProtocolError(f"{what} is not a channel id: {clean(value, 80)!r}")
    return value


class AgiServer:
    def __init__(self, settings: AgiSettings, scripts: Mapping[str, Script], *,
                 health: Health, phones: PhoneRules) -> None:
        self.settings = settings
        self.scripts = scripts
        self.health = health
        self.phones = phones
        self._slots = threading.BoundedSemaphore(settings.max_sessions)
        self._pool = ThreadPoolExecutor(max_workers=settings.max_sessions,
                                        thread_name_prefix="agi")
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closing = False
        self.sessions_total = 0
        self.refused = 0
        self.failed = 0  # ended by a timeout, a protocol error or a failing script
        self.address = (settings.host, settings.port)

    # -- the event loop's side: listen, accept, hand over -------------------------------
    async def serve(self) -> None:
        listener = await self._listen()
        loop = asyncio.get_running_loop()
        try:
            while True:
                conn, _peer = await loop.sock_accept(listener)
                self._start(loop, conn)
        finally:
            listener.close()

    async def _listen(self) -> socket.socket:
        """A port that cannot be opened (in use, no such address) is retried and shown
        on health; the rest of the daemon goes on meanwhile."""
        where = f"{self.settings.host}:{self.settings.port}"
        while True:
            try:
                listener = socket.create_server(self.address, backlog=128)
            except OSError as exc:
                detail = f"cannot listen on {where}: {exc.strerror or exc}"
                log.error("agi.listen_failed", error_id=AgiListenFailed.error_id, detail=detail)
                self.health.report("agi", False, detail)
                await asyncio.sleep(LISTEN_RETRY_S)
                continue
            listener.setblocking(False)
            self.address = listener.getsockname()[:2]
            log.info("agi.listening", address=f"{self.address[0]}:{self.address[1]}",
                     max_sessions=self.settings.max_sessions)
            self._report()
            return listener

    @property
    def active(self) -> int:
        with self._lock:
            return len(self._open)

    def _report(self) -> None:
        busy = self.active
        self.health.report("agi", True, f"listening on {self.settings.host}:{self.settings.port}",
                           (("sessions", busy), ("sessions_total", self.sessions_total),
                            ("refused", self.refused)))

    def _start(self, loop: asyncio.AbstractEventLoop, conn: socket.socket) -> None:
        if self._closing or not self._slots.acquire(blocking=False):
            self.refused += 1
            log.warning("agi.sessions_full", error_id=AgiSessionsFull.error_id,
                        max_sessions=self.settings.max_sessions, closing=self._closing)
            conn.close()
            self._report()
            return
        conn.setblocking(True)
        with self._lock:
            self._open.add(conn)
        self.sessions_total += 1
        future = loop.run_in_executor(self._pool, self._session, conn)
        future.add_done_callback(lambda f: f.exception())  # never raises; retrieved anyway
        self._report()

    async def close(self) -> None:
        """Stop: sessions under way end at once (their peers see the connection close and
        the dialplan takes its defaults)."""
        self._closing = True
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.to_thread(self._pool.shutdown, True), 5.0)

    # -- a session, in its worker thread ---------------------------------------------------
    def _session(self, conn: socket.socket) -> None:
        started = time.monotonic()
        ids: dict[str, str] = {}
        lines: _Lines | None = None
        try:
            with conn, conn.makefile("rb") as rfile, \
                    conn.makefile("w", encoding="utf-8", newline="") as wfile:
                conn.settimeout(self.settings.handshake_timeout_s)
                lines = _Lines(rfile)
                agi = _Agi(lines, wfile)
                lines.env_read()
                conn.settimeout(self.settings.io_timeout_s)
                call = self._call(agi, ids)
                status = self._run(call)
                with contextlib.suppress(Exception):  # the dialplan may have moved on
                    agi.set_variable("CC_AGI_STATUS", status)
            log.info("agi.session_ended", status=status,
                     duration_s=round(time.monotonic() - started, 2), **ids)
        except Exception as exc:  # one session's fault ends only that session
            self._ended_badly(exc, ids, lines is not None and lines.hung_up, started)
        finally:
            with self._lock:
                self._open.discard(conn)
            self._slots.release()
            self._report()

    def _call(self, agi: Any, ids: dict[str, str]) -> Call:
        env: dict[str, str] = agi.env
        script = env.get("agi_network_script", "")
        if not _SCRIPT.fullmatch(script):
            raise AgiProtocolError(f"no script named in the request: {clean(script, 80)!r}")
        ids["script"] = script
        ids["uniqueid"] = _checked_id(env.get("agi_uniqueid", ""), "agi_uniqueid")
        # The ticket is found by the call's Linkedid, which the environment does not carry.
        linkedid = str(agi.get_full_variable("${CHANNEL(linkedid)}"))
        ids["linkedid"] = _checked_id(linkedid, "CHANNEL(linkedid)")
        caller = PhoneNumber.or_none(env.get("agi_callerid", ""), self.phones)
        return Call(agi, script, ids["uniqueid"], ids["linkedid"], caller)

    def _run(self, call: Call) -> str:
        run = self.scripts.get(call.script)
        if run is not None:
            return run(call)
        if call.script in NOT_YET:
            log.info("agi.not_available", **call.ids)
        else:
            log.warning("agi.unknown_script", error_id=AgiProtocolError.error_id, **call.ids)
        return "not_available"

    def _ended_badly(self, exc: Exception, ids: dict[str, str], hung_up: bool,
                     started: float) -> None:
        took = round(time.monotonic() - started, 2)
        if isinstance(exc, PeerGone) and "uniqueid" not in ids:  # no call: a port probe
            log.info("agi.peer_closed", duration_s=took)
            return
        # result=-1 (AGIAppError and its hang-up kinds): the channel went away mid-command.
        if hung_up or isinstance(exc, PeerGone | AGIAppError | BrokenPipeError |
                                 ConnectionResetError):
            log.info("agi.caller_hung_up", duration_s=took, **ids)
            return
        with self._lock:
            self.failed += 1
        if isinstance(exc, TimeoutError):
            log.warning("agi.timeout", error_id=AgiTimeout.error_id, duration_s=took, **ids)
        elif isinstance(exc, AgiProtocolError | AGIError | ValueError | UnicodeError):
            log.warning("agi.protocol", error_id=AgiProtocolError.error_id,
                        detail=clean(str(exc), 200), duration_s=took, **ids)
        else:
            log.error("agi.script_failed", error_id=AgiScriptFailed.error_id, duration_s=took,
                      exc_info=exc, **ids)
