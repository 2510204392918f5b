"""The dialer's part of one server's AMI stream: only the channels of its own
attempts; on that server's (re)connect, its attempts left under way reconciled."""

from __future__ import annotations

from collections.abc import Mapping

from callcenter.callbacks.dialer import Dialer


class DialerStream:
    def __init__(self, dialer: Dialer, server: str | None = None) -> None:
        self.dialer = dialer
        self.server = server

    def wants(self, name: str, uniqueid: str) -> bool:
        return uniqueid in self.dialer.watched

    def on_message(self, raw: Mapping[str, str]) -> None:
        self.dialer.on_message(raw)

    async def on_connected(self) -> None:
        """Attempts left `dialing` are matched to live channels (never re-dialed)."""
        await self.dialer.reconcile(self.server)
