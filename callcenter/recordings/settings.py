"""The `[recordings]` section: where Asterisk writes the recordings and the daemon reads
them, their format, and how long they are kept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, ClassVar

from callcenter import checks as ck
from callcenter.config import setting

# Formats a browser plays, as MixMonitor names them (the file's extension), with the
# Content-Type they are served with: 8 kHz and 16 kHz signed linear WAV.
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


def file_name(linkedid: str, fmt: str) -> str | None:
    """The recording's file name for a call, or None for an id that cannot be one."""
    return f"{linkedid}.{fmt}" if _NAME.fullmatch(linkedid) else None


@dataclass(frozen=True, slots=True)
class RecordingsSettings:
    SECTION: ClassVar[str] = "recordings"
    enabled: bool = True  # false: /after_hours asks for no recording, nothing is linked
    # Where the daemon finds the recordings.  Asterisk's own monitor directory by
    # default: the dialplan's fallback (the daemon could not be asked) records there too.
    dir: str = setting("/var/spool/asterisk/monitor", _directory)
    # The same directory as Asterisk sees it, when that differs (Asterisk in a chroot or
    # a container, a network mount); "" = dir.
    asterisk_dir: str = setting("", _directory)
    format: str = setting("wav", ck.one_of(*FORMATS))
    # 过期销毁: kept two quarters.  The standards name no period; the monthly quality
    # review (质检会议) and the quarter's appraisal both look back at recordings, and
    # a call on a quarter's first day must outlive that quarter's appraisal.
    retention_days: float = setting(180.0, ck.positive)
    link_interval_s: float = setting(10.0, ck.positive)  # ended calls -> their recording
    # A call seen as started but never as ended is looked for after this long.
    unended_after_s: float = setting(6 * 3600.0, ck.positive)
    retention_interval_s: float = setting(3600.0, ck.positive)

    @property
    def content_type(self) -> str:
        return FORMATS[self.format]

    def path(self, linkedid: str) -> str | None:
        """Where the daemon reads a call's recording."""
        name = file_name(linkedid, self.format)
        return None if name is None else str(PurePosixPath(self.dir, name))

    def asterisk_path(self, linkedid: str) -> str | None:
        """What MixMonitor is told to write (the dialplan's CC_RECORDING)."""
        name = file_name(linkedid, self.format)
        return None if name is None else str(PurePosixPath(self.asterisk_dir or self.dir, name))
