"""The store writer's figures for /metrics, read at scrape time (registered by the
daemon, which owns the writer)."""

from __future__ import annotations

from callcenter.core.metrics import Live, counter, gauge, one
from callcenter.store.writer import StoreWriter


def writer_collectors(writer: StoreWriter) -> list[Live]:
    def depth() -> dict[tuple[str, ...], float]:
        memory, journal = writer.waiting
        return {("memory",): memory, ("journal",): journal}

    return [
        gauge("callcenter_store_writer_lag_outcomes",
              "Outcomes decided and not yet written (or set aside)", one(lambda: writer.lag)),
        gauge("callcenter_store_queue_depth_outcomes",
              "Outcomes waiting to be sent to the database, by where they wait", depth, ["where"]),
        counter("callcenter_store_outcomes_written", "Outcomes the database confirmed written",
                one(lambda: writer.written)),
        counter("callcenter_store_outcomes_set_aside",
                "Outcomes the database refused even alone, kept aside (callcenter set-aside list)",
                one(lambda: writer.failed)),
        counter("callcenter_store_writer_restarts", "Times the writer process was restarted",
                one(lambda: writer.restarts)),
    ]
