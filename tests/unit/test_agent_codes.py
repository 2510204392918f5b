"""The PBX side as shipped: include files that never bring a [general] or [globals] of
their own, the exact #include lines in the install guide, and the two scripts the
agents' feature codes ask (the desk's queues and the member's name; the Nth pause
reason), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from callcenter.agi.agent_scripts import AgentQueues, PauseReason
from callcenter.agi.server import Call
from callcenter.desk.settings import DeskSettings
from callcenter.store import db
from callcenter.users import service as users

ROOT = Path(__file__).resolve().parents[2]
DIALPLAN = ROOT / "dialplan"
SECTION = re.compile(r"^\s*\[([^\]]+)\]", re.MULTILINE)
# Each shipped file and the file it is included from.
INCLUDED_FROM = {"queues_callcenter.conf": "queues.conf",
                 "manager_callcenter.conf": "manager.conf",
                 "globals_callcenter.conf": "extensions.conf",
                 "extensions_callcenter.conf": "extensions.conf",
                 "extensions_callcenter_agents.conf": "extensions.conf",
                 "extensions_callcenter_did.conf": "extensions.conf"}


def test_no_shipped_file_brings_a_general_or_globals_section() -> None:
    shipped = sorted(p.name for p in DIALPLAN.glob("*.conf"))
    assert shipped == sorted(INCLUDED_FROM)
    for name in shipped:
        sections = SECTION.findall((DIALPLAN / name).read_text(encoding="utf-8"))
        assert not {s.lower() for s in sections} & {"general", "globals"}, name
    # The globals are lines only: they continue the operator's own [globals].
    assert SECTION.findall((DIALPLAN / "globals_callcenter.conf").read_text()) == []


def test_the_install_guide_and_the_readme_give_the_exact_include_lines() -> None:
    guide = (ROOT / "docs" / "install.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in INCLUDED_FROM:
        line = f"#include {name}"
        assert line in guide and line in readme, name
        assert line in (DIALPLAN / name).read_text(encoding="utf-8"), name
    assert "[globals]\n#include globals_callcenter.conf" in guide
    for setting in ("persistentmembers = yes", "shared_lastcall = yes",
                    "log_membername_as_agent = yes", "timestampevents = yes"):
        assert setting in guide, setting
    # The test bed includes them by the same lines, under its own [general].
    testbed = ROOT / "callcenter" / "testbed" / "conf"
    for name, parent in INCLUDED_FROM.items():
        assert f"#include {name}" in (testbed / parent).read_text(encoding="utf-8"), name


class FakeAgi:
    def __init__(self, *args: str) -> None:
        self.env = {f"agi_arg_{n}": a for n, a in enumerate(args, 1)}
        self.variables: dict[str, str] = {}

    def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value


def _call(agi: FakeAgi, script: str) -> Call:
    return Call(agi, script, "1.1", "1.1", None)


def test_a_reason_digit_is_the_nth_of_the_desks_pause_reasons() -> None:
    script = PauseReason(DeskSettings())
    for digit, reason in (("1", "午休"), ("2", "休息"), ("5", "回访")):
        agi = FakeAgi(digit)
        assert script(_call(agi, "pause_reason")) == "answered"
        assert agi.variables == {"CC_PAUSE_REASON": reason, "CC_PAUSE": "yes"}
    for code in ("0", "6", "9", "", "1;", "x", "123"):
        agi = FakeAgi(code)
        assert script(_call(agi, "pause_reason")) == "unknown"
        assert agi.variables == {"CC_PAUSE": "no"}, code
    custom = PauseReason(DeskSettings(pause_reasons=("就餐", "如厕")))
    agi = FakeAgi("2")
    custom(_call(agi, "pause_reason"))
    assert agi.variables["CC_PAUSE_REASON"] == "如厕"


@pytest.fixture
def engine(db_url: str) -> Engine:
    return db.engine_for(db_url)


def test_the_desks_queues_and_the_members_own_name(engine: Engine) -> None:
    now = time.time()
    users.add_user(engine, "lin", "pw-lin-secret", "agent", now, display_name="林静",
                   member_interface="PJSIP/1001")
    users.add_user(engine, "gone", "pw-gone-secret", "agent", now, display_name="离职",
                   member_interface="PJSIP/1009")
    users.set_disabled(engine, "gone", True)
    script = AgentQueues(DeskSettings(), lambda member: users.agent_of(engine, member))

    agi = FakeAgi("PJSIP/1001", "login")
    assert script(_call(agi, "agent_queues")) == "answered"
    assert agi.variables == {"CC_QUEUES": "support&complaints", "CC_MEMBER_NAME": "林静"}
    # A member no user has: the queues, and Asterisk shows the interface.
    agi = FakeAgi("PJSIP/1002", "login")
    assert script(_call(agi, "agent_queues")) == "answered"
    assert agi.variables == {"CC_QUEUES": "support&complaints", "CC_MEMBER_NAME": ""}
    # A disabled agent's phone, or no interface at all: no queues, nothing changes.
    for member, status in (("PJSIP/1009", "disabled"), ("", "invalid"),
                           ("PJSIP/1001,x", "invalid"), ("not a device", "invalid")):
        agi = FakeAgi(member, "login")
        assert script(_call(agi, "agent_queues")) == status, member
        assert agi.variables == {"CC_QUEUES": ""}, member
    # ... but a disabled agent's phone may still log out.
    agi = FakeAgi("PJSIP/1009", "logout")
    assert script(_call(agi, "agent_queues")) == "answered"
    assert agi.variables == {"CC_QUEUES": "support&complaints", "CC_MEMBER_NAME": "离职"}
