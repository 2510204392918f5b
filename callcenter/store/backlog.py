"""Every outcome the store writer has not yet seen confirmed written, in order.

The oldest are in memory (at most `buffer_max` of them); when more wait than that
(the database is away or slower than the traffic), the newer ones go to the journal
on disk, and once anything is in the journal every new outcome goes there too, behind
it, so the order is always: memory, then journal.  The batch in flight is the head of
memory, and leaves only when confirmed; memory is refilled from the journal as it
empties.  The journal is emptied once everything read back from it is confirmed.

Each outcome has a sequence number (the head's is `head_seq`); `replay_until` marks
those that may already be in the database (a batch whose reply never came, records
an earlier run left in the journal): they are written with the applier's replay
care.  Used by the writer's pump thread only."""

from __future__ import annotations

from collections import deque
from itertools import islice

from callcenter.domain.outcomes import Outcome
from callcenter.store.journal import Journal


class Backlog:
    def __init__(self, journal: Journal, buffer_max: int, refill_max: int = 5000) -> None:
        self.journal = journal
        self.buffer_max = buffer_max
        self._refill_max = refill_max  # records read back per go: the pump stays responsive
        self.memory: deque[Outcome] = deque()
        self.head_seq = 0
        self.replay_until = -1
        self._journal_last_seq = -1  # the last outcome read back from the journal

    @property
    def size(self) -> int:
        return len(self.memory) + self.journal.waiting

    def put(self, outcome: Outcome, now: float) -> None:
        if not self.journal.waiting and len(self.memory) < self.buffer_max:
            self.memory.append(outcome)
        else:
            self.journal.append(outcome, now)

    def peek(self, n: int) -> tuple[list[Outcome], bool]:
        """The first `n` outcomes (they stay until confirmed), and whether any of them
        may already be in the database."""
        if len(self.memory) < n and self.journal.waiting:
            self._refill()
        batch = list(islice(self.memory, n))
        return batch, self.head_seq <= self.replay_until

    def _refill(self) -> None:
        room = min(self.buffer_max - len(self.memory), self._refill_max)
        if room <= 0:
            return
        for outcome, earlier_run in self.journal.load(room):
            self.memory.append(outcome)
            seq = self.head_seq + len(self.memory) - 1
            self._journal_last_seq = seq
            if earlier_run:
                self.replay_until = seq

    def confirm(self, n: int) -> None:
        for _ in range(n):
            self.memory.popleft()
        self.head_seq += n
        if not self.journal.waiting and self.head_seq > self._journal_last_seq:
            self.journal.clear()

    def maybe_written(self, n: int) -> None:
        """The first `n` were sent and no reply came (or the connection broke)."""
        self.replay_until = max(self.replay_until, self.head_seq + n - 1)

    def only_in_memory(self) -> int:
        """How many would be gone if the process ended now: not in the journal's file
        (those read back from it and not yet confirmed are still there)."""
        from_file = max(0, min(len(self.memory), self._journal_last_seq - self.head_seq + 1))
        return len(self.memory) - from_file + self.journal.unwritten

    def keep_on_disk(self) -> int:
        """At a stop: everything still waiting goes to the journal, oldest first.
        Returns how many; raises JournalUnwritable when the disk will not take them."""
        kept = self.journal.keep(list(self.memory))
        self.memory.clear()
        return kept
