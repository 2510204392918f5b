"""Log lines carry their syslog priority for journald (`<4>{...}` for a warning) when
stdout is journald's stream, as systemd names it in JOURNAL_STREAM, and stay plain
JSON lines otherwise: the program's and the libraries' lines alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from callcenter import logs

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = """
import logging, structlog
from callcenter import logs
from callcenter.config import load
from callcenter.core.settings import LogSettings
settings = load(None).get(LogSettings)
logs.configure("DEBUG", settings.prefixed)
log = structlog.get_logger("test")
log.debug("d.one"); log.info("i.one"); log.warning("w.one", secret="hunter2")
log.error("e.one"); log.critical("c.one")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("x.one")
logging.getLogger("httpx").warning("a library's warning")
logging.getLogger("uvicorn").error("a library's error")
"""


def _run(journal_stream: str | None, *, name_the_pipe: bool, mode: str = "auto") -> list[str]:
    """The program's stdout is a pipe; JOURNAL_STREAM names that pipe (as systemd names
    the journal's socket) or something else."""
    read, write = os.pipe()
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    env |= {"PYTHONPATH": str(ROOT), "CALLCENTER__LOG__PRIORITY_PREFIX": mode}
    if name_the_pipe:
        stat = os.fstat(write)
        env["JOURNAL_STREAM"] = f"{stat.st_dev}:{stat.st_ino}"
    elif journal_stream is not None:
        env["JOURNAL_STREAM"] = journal_stream
    with os.fdopen(read, "rb") as out:
        process = subprocess.Popen([sys.executable, "-c", PROGRAM], stdout=write, env=env,
                                   cwd=ROOT)
        os.close(write)
        text = out.read().decode()
    assert process.wait(30) == 0
    return text.splitlines()


def _split(line: str) -> tuple[str, dict[str, object]]:
    prefix, brace, rest = line.partition("{")
    return prefix, json.loads(brace + rest)


def test_under_journald_every_line_starts_with_its_priority() -> None:
    lines = _run(None, name_the_pipe=True)
    found = {event["event"]: prefix for prefix, event in map(_split, lines)}
    assert found == {"d.one": "<7>", "i.one": "<6>", "w.one": "<4>", "e.one": "<3>",
                     "c.one": "<2>", "x.one": "<3>", "a library's warning": "<4>",
                     "a library's error": "<3>"}
    for _prefix, event in map(_split, lines):  # the rest of the line is the same JSON object
        assert "level" in event and "timestamp" in event
    assert "hunter2" not in "".join(lines)  # redaction before the prefix, as before


def test_elsewhere_the_lines_are_plain_json() -> None:
    for lines in (_run(None, name_the_pipe=False),  # a terminal, a pipe, a file
                  _run("8:12345", name_the_pipe=False)):  # another stream is the journal's
        assert len(lines) == 8
        assert all(line.startswith("{") for line in lines)
        assert [json.loads(line)["level"] for line in lines][:5] == [
            "debug", "info", "warning", "error", "critical"]


def test_the_setting_forces_it_either_way() -> None:
    assert all(line.startswith("<") for line in _run(None, name_the_pipe=False, mode="yes"))
    assert all(line.startswith("{") for line in _run(None, name_the_pipe=True, mode="no"))
    assert not logs.journald_prefix("auto", {"JOURNAL_STREAM": "1:2"}, stream=object())
