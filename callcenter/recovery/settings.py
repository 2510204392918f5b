"""The `[recovery]` section: how often queue_log is read and counts compared.  Where
the file is lives in `[ami] queue_log`, beside the rest of what says where Asterisk is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from callcenter.checks import positive
from callcenter.config import setting


@dataclass(frozen=True, slots=True)
class RecoverySettings:
    SECTION: ClassVar[str] = "recovery"
    # While the AMI link is up: how often the new lines are read (the checkpoint
    # moves on, and what the link missed without noticing is caught).
    read_interval_s: float = setting(30.0, positive)
    # The cross-check's interval: answered and abandoned calls per queue, compared
    # with queue_log's once the interval is over.
    cross_check_s: float = setting(900.0, positive)
