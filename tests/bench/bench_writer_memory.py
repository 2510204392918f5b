"""The daemon's memory while the database is away: bounded by the store writer's
buffer, whatever the outage's length.

    python -m tests.bench.bench_writer_memory [--outcomes 1000000] [--buffer-max 100000]

1,000,000 outcomes (the six recorded calls' 137 outcomes again and again, each copy
with its own ids and times) are submitted to the store writer at up to 50,000 a
second (the whole daemon handles ~13,000 AMI messages a second: this is a flood).
The SQLite database is on a tmpfs of its own; for the first 70 % of the outcomes that
tmpfs is full, the real `database or disk is full`, so nothing can be written; then it
is given room and everything must be written, in order, once.

Printed: the growth of this process's memory (RSS sampled every 20 ms, over its RSS
just before the first outcome) against the bound; the largest number of outcomes held
in memory; the journal's largest size; the writer process's own peak; and the rows.

The bound: the writer keeps at most `buffer_max` outcomes in memory, plus at most
1,000 framed records waiting for the journal's next fsync and what `submit()` queued
since the pump last ran; measured here at ~200 bytes an outcome in memory, so the
bound checked is buffer_max x 1 KiB + 64 MiB (the interpreter's arenas, the intake)."""

from __future__ import annotations

import argparse
import collections
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from callcenter import logs
from callcenter.domain import outcomes as oc
from callcenter.store import db
from callcenter.store.writer import StoreWriter
from tests.full_disk import fill, free, grow, tmpfs
from tests.outcome_rounds import recorded_outcomes, rounds

RATE = 50_000  # outcomes a second at most
CHUNK = 500


def _status(pid: str, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


class Sampler(threading.Thread):
    def __init__(self, writer: StoreWriter) -> None:
        super().__init__(daemon=True)
        self.writer = writer
        self.peak_rss = 0
        self.peak_memory = 0
        self.peak_journal = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.02):
            self.peak_rss = max(self.peak_rss, _status("self", "VmRSS"))
            self.peak_memory = max(self.peak_memory, len(self.writer._backlog.memory))
            self.peak_journal = max(self.peak_journal, self.writer.journal.size_bytes)


def main(total: int, buffer_max: int) -> bool:
    logs.configure("ERROR")  # the figures only
    base = recorded_outcomes()
    with tempfile.TemporaryDirectory() as tmp, tmpfs(Path(tmp) / "db", "64m") as disk:
        url = f"sqlite:///{disk}/bench.db"
        db.upgrade(url)
        writer = StoreWriter(url, 7 * 86400.0, buffer_max=buffer_max, retry_max_s=1.0,
                             journal_dir=Path(tmp) / "journal")
        writer.start()
        outcomes = rounds(total // sum(map(len, base)) + 1, base)
        counts: collections.Counter[str] = collections.Counter()
        tickets = 0

        def submit(n: int) -> None:
            nonlocal tickets
            t0 = time.perf_counter()
            sent = 0
            while sent < n:
                chunk = [next(outcomes) for _ in range(min(CHUNK, n - sent))]
                for o in chunk:
                    counts[type(o).__name__] += 1
                    tickets += isinstance(o, oc.TicketOpened)
                writer.submit(chunk)
                sent += len(chunk)
                ahead = t0 + sent / RATE - time.perf_counter()
                if ahead > 0:
                    time.sleep(ahead)

        submit(CHUNK)
        assert writer.flush(30)
        with sqlite3.connect(f"{disk}/bench.db") as conn:  # no WAL room left either
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        fill(disk)
        sampler = Sampler(writer)
        baseline = _status("self", "VmRSS")
        sampler.start()
        away = int(total * 0.7) - CHUNK
        t_away = time.perf_counter()
        submit(away)
        away_s = time.perf_counter() - t_away
        journal_at_return = writer.journal.size_bytes
        free(disk)
        grow(disk, "4g")  # room for the whole database now
        t_back = time.perf_counter()
        submit(total - away - CHUNK)
        written_all = writer.flush(3600)
        back_s = time.perf_counter() - t_back
        child_peak = _status(str(writer._child.pid), "VmHWM")
        sampler.stop.set()
        sampler.join()
        writer.close()
        with sqlite3.connect(f"{disk}/bench.db") as conn:
            rows = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    for table in ("tickets", "agent_state_changes", "queue_samples")}
    growth = max(0, sampler.peak_rss - baseline)
    bound = buffer_max * 1024 + 64 * 1024 * 1024
    expected = {"tickets": tickets, "agent_state_changes": counts["AgentStateChanged"],
                "queue_samples": counts["QueueSampled"]}
    mib = 1024 * 1024
    print(f"outcomes submitted:         {sum(counts.values()):,} (at up to {RATE:,}/s); "
          f"database away for the first {away + CHUNK:,} ({away_s:.0f} s)")
    print(f"journal on disk at return:  {journal_at_return / mib:.1f} MiB; largest "
          f"{sampler.peak_journal / mib:.1f} MiB; emptied after: "
          f"{'yes' if writer.journal.size_bytes == 0 else 'NO'}")
    print(f"outcomes in memory, most:   {sampler.peak_memory:,} (buffer_max {buffer_max:,})")
    print(f"daemon-side memory growth:  {growth / mib:.1f} MiB (peak RSS {sampler.peak_rss / mib:.1f} "
          f"MiB over {baseline / mib:.1f} MiB before the first outcome)")
    print(f"bound:                      {bound / mib:.1f} MiB (buffer_max x 1 KiB + 64 MiB): "
          f"{'met' if growth <= bound else 'NOT met'}")
    print(f"writer process peak RSS:    {child_peak / mib:.1f} MiB")
    print(f"written once back:          {'all' if written_all else 'NOT all'} in {back_s:.0f} s; "
          f"rows {rows} (expected {expected})")
    return (growth <= bound and sampler.peak_memory <= buffer_max and written_all
            and rows == expected and writer.journal.size_bytes == 0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--outcomes", type=int, default=1_000_000)
    parser.add_argument("--buffer-max", type=int, default=100_000)
    args = parser.parse_args()
    raise SystemExit(0 if main(args.outcomes, args.buffer_max) else 1)
