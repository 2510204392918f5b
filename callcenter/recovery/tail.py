"""Following Asterisk's queue_log file from a remembered position, across rotation.

A position names the file by its device and inode and by the hash of its first
line, so the file we read is recognised wherever it went:

* the path still holds it (same inode, same first line, not shorter): read on;
* it was rotated (`logger rotate`, logrotate's rename): the path holds a new file;
  the old one is found beside it by its inode, read to its end, then the new one
  from its start;
* it was truncated (logrotate's copytruncate): same inode but shorter, or another
  first line; the copy is found beside it by its first line and read on from the
  position, then the path from its start.

When the old file is nowhere to be found (deleted, compressed), what it held after
the position is lost: that is said (`lost`), and the path is read from its start.
Only whole lines are taken from the file Asterisk is writing; a rotated file's
last line is taken whole even without its newline (it will not grow any more).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from callcenter.errors import QueueLogUnreadable

_HEAD_BYTES = 4096
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip")


@dataclass(frozen=True, slots=True)
class Position:
    device: int
    inode: int
    head: str  # SHA-256 of the file's first line; "" while it has no whole line
    offset: int  # where the next line starts


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    end: Position  # the position once this line is taken


@dataclass(frozen=True, slots=True)
class Read:
    lines: list[Line]
    start: Position  # the position if no line is taken
    more: bool  # stopped at max_bytes: there is more to read
    lost: str = ""  # why lines may be missing, if they may


def _head(path: Path) -> str:
    with path.open("rb") as f:
        first = f.read(_HEAD_BYTES)
    end = first.find(b"\n")
    if end >= 0:
        return hashlib.sha256(first[:end + 1]).hexdigest()
    return hashlib.sha256(first).hexdigest() if len(first) == _HEAD_BYTES else ""


def _identity(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_dev, st.st_ino, st.st_size


def _unreadable(path: Path, exc: OSError) -> QueueLogUnreadable:
    reason = {FileNotFoundError: "missing", PermissionError: "permission denied",
              IsADirectoryError: "is a directory"}.get(type(exc), exc.strerror or str(exc))
    return QueueLogUnreadable(f"{path}: {reason}")


def _lines(path: Path, at: Position, budget: int, whole_only: bool) -> tuple[list[Line], bool]:
    """The lines of `path` from `at`, at most `budget` bytes; and whether more remain."""
    with path.open("rb") as f:
        f.seek(at.offset)
        data = f.read(budget + 1)
    more = len(data) > budget
    data = data[:budget]
    cut = data.rfind(b"\n") + 1
    if not more and not whole_only and cut < len(data):
        cut = len(data)  # a rotated file's last line, unterminated
    lines: list[Line] = []
    offset, start = at.offset, 0
    while start < cut:
        end = data.find(b"\n", start, cut)
        stop = cut if end < 0 else end + 1
        offset += stop - start
        text = data[start:stop].decode("utf-8", "replace").rstrip("\r\n")
        lines.append(Line(text, Position(at.device, at.inode, at.head, offset)))
        start = stop
    return lines, more


def _end_of_last_line(path: Path, size: int) -> int:
    """Where a reader that starts now begins: after the last whole line."""
    with path.open("rb") as f:
        tail_from = max(0, size - 65536)
        f.seek(tail_from)
        tail = f.read(size - tail_from)
    newline = tail.rfind(b"\n")
    return tail_from + newline + 1 if newline >= 0 else tail_from if tail_from else 0


def _find_old(path: Path, since: Position) -> Path | None:
    """The file we were reading, now beside `path`: moved (same inode), or copied
    (same first line, at least as long as our position)."""
    try:
        siblings = sorted(p for p in path.parent.iterdir()
                          if p.name.startswith(path.name) and p.name != path.name
                          and not p.name.endswith(_COMPRESSED))
    except OSError:
        return None
    for candidate in siblings:
        try:
            device, inode, size = _identity(candidate)
            if ((device, inode) == (since.device, since.inode) and size >= since.offset
                    and (not since.head or _head(candidate) == since.head)):
                return candidate
        except OSError:
            continue
    if not since.head:
        return None
    for candidate in siblings:
        try:
            if _identity(candidate)[2] >= since.offset and _head(candidate) == since.head:
                return candidate
        except OSError:
            continue
    return None


def read_since(path: Path, since: Position | None, max_bytes: int) -> Read:
    """Whole lines after `since` (None: start at the end, reading nothing)."""
    try:
        device, inode, size = _identity(path)
        head = _head(path)
        current = Position(device, inode, head, 0)
        if since is None:
            return Read([], Position(device, inode, head, _end_of_last_line(path, size)), False)
        same = (device, inode) == (since.device, since.inode)
        if same and size >= since.offset and (not since.head or head == since.head):
            # A head first written since we started (we began at offset 0) is kept.
            at = Position(device, inode, head or since.head, since.offset)
            lines, more = _lines(path, at, max_bytes, whole_only=True)
            return Read(lines, at, more)
        old = _find_old(path, since)
        if old is None:
            lost = ("" if since.offset == 0 else
                    f"{path} was rotated or truncated and the rest of the file read "
                    f"up to byte {since.offset} is gone")
            lines, more = _lines(path, current, max_bytes, whole_only=True)
            return Read(lines, current, more, lost)
        lines, more = _lines(old, since, max_bytes, whole_only=False)
        if more or size == 0:
            # Not finished with the old file, or Asterisk has not written to the new
            # one yet (it may still be writing to the renamed file): stay on the old.
            return Read(lines, since, more)
        used = sum(len(line.text.encode()) + 1 for line in lines)
        rest, more = _lines(path, current, max(0, max_bytes - used), whole_only=True)
        return Read(lines + rest, since, more)
    except OSError as exc:
        raise _unreadable(path, exc) from exc
