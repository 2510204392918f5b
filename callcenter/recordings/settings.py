"""The `[recordings]` section: where Asterisk writes the recordings and the daemon reads
them, their format, and how long they are kept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, ClassVar

from callcenter import checks as ck
from callcenter.config import setting

# The formats a browser plays, by the extension Asterisk gives the file (queues.conf's
# `monitor-format`: wav is 8 kHz, wav16 16 kHz signed linear), with their Content-Type.
# Asterisk decides the format; the daemon finds the file by these extensions.
FORMATS = {"wav": "audio/wav", "wav16": "audio/wav"}

# A directory as it reaches MixMonitor through a channel variable: absolute, nothing
# that separates arguments or files (, & | ; quotes, spaces), no way up the tree.
_DIR = re.compile(r"/(?:[A-Za-z0-9_.-]+/?)*")
# A recording's name is the call's Linkedid (Asterisk: "1764000000.12", or with a
# system name in front): one path segment, never "." or "..".
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _directory(value: Any) -> str | None:
    if value == "":
        return None  # asterisk_dir: the same as dir
    if not _DIR.fullmatch(value) or ".." in PurePosixPath(value).parts:
        return "must be an absolute path of letters, digits, _ . - and / (no ..)"
    return None


def is_name(linkedid: str) -> bool:
    """Whether a call's Linkedid can name its recording."""
    return _NAME.fullmatch(linkedid) is not None


@dataclass(frozen=True, slots=True)
class RecordingsSettings:
    SECTION: ClassVar[str] = "recordings"
    # Where the daemon finds the recordings.  Asterisk's own monitor directory by
    # default: where app_queue records when the daemon could not be asked.
    dir: str = setting("/var/spool/asterisk/monitor", _directory)
    # The same directory as Asterisk sees it, when that differs (Asterisk in a chroot or
    # a container, a network mount); "" = dir.
    asterisk_dir: str = setting("", _directory)
    # 过期销毁: kept two quarters.  The standards name no period; the monthly quality
    # review (质检会议) and the quarter's appraisal both look back at recordings, and
    # a call on a quarter's first day must outlive that quarter's appraisal.
    retention_days: float = setting(180.0, ck.positive)
    link_interval_s: float = setting(10.0, ck.positive)  # ended calls -> their recording
    # A call seen as started but never as ended is looked for after this long.
    unended_after_s: float = setting(6 * 3600.0, ck.positive)
    retention_interval_s: float = setting(3600.0, ck.positive)

    def files(self, linkedid: str) -> list[str]:
        """Where the daemon may find a call's recording, one path per format."""
        if not is_name(linkedid):
            return []
        return [str(PurePosixPath(self.dir, f"{linkedid}.{ext}")) for ext in FORMATS]

    def asterisk_name(self, linkedid: str) -> str | None:
        """What app_queue records to (MONITOR_FILENAME, through the dialplan's
        CC_RECORDING): the path without extension, which Asterisk adds."""
        if not is_name(linkedid):
            return None
        return str(PurePosixPath(self.asterisk_dir or self.dir, linkedid))
