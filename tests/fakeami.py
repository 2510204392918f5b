"""A scriptable fake AMI server for fault injection and benchmarks (never instead
of the real Asterisk for behaviour: see tests/integration)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

EOL = "\r\n"


def encode(fields: dict[str, str]) -> bytes:
    return ("".join(f"{k}: {v}{EOL}" for k, v in fields.items()) + EOL).encode()


@dataclass
class FakeAmi:
    secret: str = "s3cret"
    answer_pings: bool = True
    close_on_action: str | None = None  # drop the link when this action arrives
    queue_status: list[dict[str, str]] = field(default_factory=list)
    logins: int = 0
    actions: list[dict[str, str]] = field(default_factory=list)
    on_connected: Callable[[asyncio.StreamWriter], None] | None = None
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)
    _server: asyncio.Server | None = None
    port: int = 0
    systemname: str = ""  # asterisk.conf's, as CoreSettings reports it

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in self._writers:
                writer.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    def push(self, data: bytes) -> None:
        """Send raw bytes (e.g. several events in one TCP chunk) to every client."""
        for writer in self._writers:
            writer.write(data)

    async def drain(self) -> None:
        for writer in self._writers:
            with contextlib.suppress(ConnectionError):
                await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        try:
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                action = {}
                for line in raw.decode().split(EOL):
                    if ": " in line:
                        key, value = line.split(": ", 1)
                        action[key] = value
                if not await self._answer(action, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if writer in self._writers:
                self._writers.remove(writer)
            writer.close()

    async def _answer(self, action: dict[str, str], writer: asyncio.StreamWriter) -> bool:
        name = action.get("Action", "")
        aid = action.get("ActionID", "")
        self.actions.append(action)
        if name == "Login":
            self.logins += 1
            if action.get("Secret") != self.secret:
                writer.write(encode({"Response": "Error", "ActionID": aid,
                                     "Message": "Authentication failed"}))
                await writer.drain()
                return False  # Asterisk closes the session after a failed login
            writer.write(encode({"Response": "Success", "ActionID": aid,
                                 "Message": "Authentication accepted"}))
            writer.write(encode({"Event": "FullyBooted", "Privilege": "system,all",
                                 "Status": "Fully Booted"}))
            self._writers.append(writer)
            if self.on_connected:
                self.on_connected(writer)
        elif name == self.close_on_action:
            return False
        elif name == "Ping":
            if self.answer_pings:
                writer.write(encode({"Response": "Success", "ActionID": aid, "Ping": "Pong"}))
        elif name == "QueueStatus":
            writer.write(encode({"Response": "Success", "ActionID": aid, "EventList": "start",
                                 "Message": "Queue status will follow"}))
            for item in self.queue_status:
                writer.write(encode({**item, "ActionID": aid}))
            writer.write(encode({"Event": "QueueStatusComplete", "ActionID": aid,
                                 "EventList": "Complete",
                                 "ListItems": str(len(self.queue_status))}))
        elif name == "Originate":
            writer.write(encode({"Response": "Success", "ActionID": aid,
                                 "Message": "Originate successfully queued"}))
            writer.write(encode({"Event": "OriginateResponse", "ActionID": aid,
                                 "Response": "Success", "Reason": "4",
                                 "Channel": action.get("Channel", "")}))
        elif name == "CoreSettings":
            writer.write(encode({"Response": "Success", "ActionID": aid,
                                 "AsteriskVersion": "22.0.0", "SystemName": self.systemname}))
        else:
            writer.write(encode({"Response": "Success", "ActionID": aid}))
        await writer.drain()
        return True
