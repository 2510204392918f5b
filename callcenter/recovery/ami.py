"""Gap recovery's part of the AMI stream: no message of it (everything comes from
queue_log), only the reconnect, which starts the backfill of the gap just closed."""

from __future__ import annotations

from collections.abc import Mapping

from callcenter.recovery.backfill import QueueLogReader


class QueueLogStream:
    def __init__(self, reader: QueueLogReader) -> None:
        self.reader = reader

    def wants(self, name: str, uniqueid: str) -> bool:
        return False

    def on_message(self, raw: Mapping[str, str]) -> None:
        return None

    async def on_connected(self) -> None:
        # The features before this one (inbound's QueueStatus resync) have run.  The
        # backfill runs beside the link, not in its way: the link's watchdog must go on.
        self.reader.connected()
