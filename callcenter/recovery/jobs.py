"""While the link is up: queue_log's new lines read on a timer, the checkpoint moved
on, and the intervals read completely cross-checked against what the daemon stored."""

from __future__ import annotations

from callcenter.recovery.backfill import QueueLogReader


async def follow(reader: QueueLogReader) -> None:
    await reader.run_pass()
