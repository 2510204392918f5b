"""Following queue_log across rotation: renamed (logger rotate, logrotate), copied and
truncated (copytruncate), truncated with no copy left, partial lines, a first start,
a file that cannot be read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from callcenter.errors import QueueLogUnreadable
from callcenter.recovery.tail import Position, Read, read_since

MAX = 1 << 20


def _line(n: int) -> str:
    return f"17956502{n:02d}|1795650200.{n}|support|NONE|ENTERQUEUE||138000000{n:02d}|1"


def _write(path: Path, *numbers: int, mode: str = "a") -> None:
    with path.open(mode, encoding="utf-8") as f:
        f.writelines(_line(n) + "\n" for n in numbers)


def _texts(read: Read) -> list[str]:
    return [line.text for line in read.lines]


def _take_all(path: Path, since: Position | None) -> tuple[list[str], Position]:
    read = read_since(path, since, MAX)
    return _texts(read), read.lines[-1].end if read.lines else read.start


def test_a_first_start_begins_at_the_end_of_the_last_whole_line(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    _write(log, 1, 2)
    with log.open("a") as f:
        f.write("1795650203|half a li")  # Asterisk is writing it
    first = read_since(log, None, MAX)
    assert first.lines == [] and first.start.offset == 2 * (len(_line(1)) + 1)
    with log.open("a") as f:
        f.write("ne\n")
    _write(log, 4)
    texts, _ = _take_all(log, first.start)
    assert texts == ["1795650203|half a line", _line(4)]


def test_reading_on_takes_whole_lines_only(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    _write(log, 1)
    texts, at = _take_all(log, read_since(log, None, MAX).start)
    assert texts == []
    _write(log, 2, 3)
    with log.open("a") as f:
        f.write(_line(4)[:10])
    texts, at = _take_all(log, at)
    assert texts == [_line(2), _line(3)]
    texts, at = _take_all(log, at)
    assert texts == []
    with log.open("a") as f:
        f.write(_line(4)[10:] + "\n")
    assert _take_all(log, at)[0] == [_line(4)]


def test_a_bounded_read_says_there_is_more(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.touch()
    at = read_since(log, None, MAX).start
    _write(log, *range(10))
    read = read_since(log, at, 3 * len(_line(1)) + 5)
    assert _texts(read) == [_line(0), _line(1), _line(2)] and read.more
    rest = read_since(log, read.lines[-1].end, MAX)
    assert _texts(rest) == [_line(n) for n in range(3, 10)] and not rest.more


def test_a_renamed_file_is_read_to_its_end_then_the_new_one(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    _write(log, 1)
    at = read_since(log, None, MAX).start
    _write(log, 2)
    texts, at = _take_all(log, at)
    assert texts == [_line(2)]
    _write(log, 3)  # written after our read, before the rotation
    log.rename(tmp_path / "queue_log.1")
    log.touch()
    # Asterisk has not written to the new file yet: it may still write to the old one.
    read = read_since(log, at, MAX)
    assert _texts(read) == [_line(3)]
    _write(tmp_path / "queue_log.1", 4)
    _write(log, 5, 6)
    texts, at = _take_all(log, read.lines[-1].end)
    assert texts == [_line(4), _line(5), _line(6)]
    _write(log, 7)
    assert _take_all(log, at)[0] == [_line(7)]


def test_a_copied_and_truncated_file_is_found_by_its_first_line(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    _write(log, 1, 2)
    at = read_since(log, None, MAX).start
    _write(log, 3)
    texts, at = _take_all(log, at)
    _write(log, 4)
    shutil.copy(log, tmp_path / "queue_log-20261126")  # logrotate copytruncate
    log.open("w").close()
    _write(log, 5)
    texts, at = _take_all(log, at)
    assert texts == [_line(4), _line(5)]
    assert _take_all(log, at)[0] == []


def test_a_file_truncated_with_no_copy_left_is_read_from_its_start_and_said(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    _write(log, 1, 2, 3)
    at = read_since(log, None, MAX).start
    log.open("w").close()
    _write(log, 4)
    read = read_since(log, at, MAX)
    assert _texts(read) == [_line(4)] and "is gone" in read.lost
    (tmp_path / "queue_log.1.gz").write_bytes(b"compressed copies are not searched")
    log.unlink()
    _write(log, 5)
    read = read_since(log, read.lines[-1].end, MAX)
    assert _texts(read) == [_line(5)] and read.lost


def test_a_file_that_cannot_be_read_is_named_with_why(tmp_path: Path) -> None:
    with pytest.raises(QueueLogUnreadable, match="queue_log: missing"):
        read_since(tmp_path / "queue_log", None, MAX)
    (tmp_path / "dir").mkdir()
    with pytest.raises(QueueLogUnreadable, match="is a directory"):
        read_since(tmp_path / "dir", None, MAX)


def test_an_empty_file_started_on_takes_its_first_line_as_its_identity(tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    log.touch()
    at = read_since(log, None, MAX).start
    assert at.head == "" and at.offset == 0
    _write(log, 1)
    texts, at = _take_all(log, at)
    assert texts == [_line(1)] and at.head != ""
    log.rename(tmp_path / "queue_log.0")
    _write(tmp_path / "queue_log.0", 2)
    _write(log, 3)
    assert _take_all(log, at)[0] == [_line(2), _line(3)]
