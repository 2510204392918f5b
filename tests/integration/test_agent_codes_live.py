"""The shipped PBX include files, live: an agent's own phone (a Local channel dialing from
its endpoint's context, which includes callcenter-agent-codes) logs in with *71, pauses
with *73N, comes back with *74 and logs out with *72; Asterisk's own QueueMember*
events carry it, and the daemon's wallboard shows each step with the reason from
`[desk] pause_reasons`.  A caller dialing the example DID reaches the agent through the
support queue.  An unknown reason digit changes nothing; a phone that sets no
CC_MEMBER gets its channel's device."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from callcenter.ami.client import RawMessage
from callcenter.testbed.asterisk import TestBed
from callcenter.testbed.control import Agent, Controller
from tests.integration.conftest import DaemonProcess, api_client

pytestmark = pytest.mark.asterisk

LIN = Agent("2601", "林静 lin", answer_after=1, talk_s=3)
DESK_QUEUES = ("support", "complaints")  # [desk] queues, the default


async def _board_row(board: httpx.AsyncClient, interface: str, want: dict[str, Any],
                     timeout: float = 3.0) -> dict[str, Any]:
    """The wallboard's row of `interface` once it shows `want` (fails after `timeout`)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await board.get("/api/wallboard")
        assert r.status_code == 200, r.text
        rows = {a["interface"]: a for a in r.json()["agents"]}
        row = rows.get(interface)
        if row is not None and all(row.get(k) == v for k, v in want.items()):
            return row
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"wallboard never showed {want} for {interface}: {row}")
        await asyncio.sleep(0.1)


async def _events(c: Controller, name: str, count: int, seen: int,
                  timeout: float = 10.0) -> list[RawMessage]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [e for e in c.events[seen:] if e.get("Event") == name]
        if len(found) >= count:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{len(found)} {name} events, wanted {count}")
        await asyncio.sleep(0.05)


async def test_feature_codes_from_the_agents_phone(bed: TestBed, tmp_path: Path) -> None:
    daemon = DaemonProcess(bed, tmp_path)
    daemon.cli("db", "upgrade")
    boss = daemon.add_user("boss", "supervisor", name="张主管")
    daemon.add_user("lin", "agent", LIN.interface, name="林静")
    daemon.start()
    try:
        async with Controller(bed) as c:
            await c.clear_queues()
            await c.set_agent(LIN)  # how her phone answers queue calls
            board = await api_client(daemon.url, "boss", boss)

            # *71: logged in to the desk's queues, under the name the desk would use.
            seen = len(c.events)
            await c.phone_dials(LIN.agent_id, "*71")
            added = await _events(c, "QueueMemberAdded", 2, seen)
            assert sorted(e["Queue"] for e in added) == sorted(DESK_QUEUES)
            assert {(e["Interface"], e["MemberName"]) for e in added} == {(LIN.interface, "林静")}
            row = await _board_row(board, LIN.interface, {"state": "available"})
            assert row["name"] == "林静"

            # A caller on the example DID reaches her through support.
            seen = len(c.events)
            c.call("support", "13900000061", patience_s=20, did="4008001234")
            connect = (await _events(c, "AgentConnect", 1, seen, timeout=15))[0]
            assert (connect["Queue"], connect["Interface"]) == ("support", LIN.interface)
            await daemon.logged("call.completed", count=1, timeout=20)
            [ticket] = daemon.read("tickets")
            assert (ticket["queue"], ticket["agent"]) == ("support", "林静"), ticket
            await _board_row(board, LIN.interface, {"state": "available"}, timeout=20)

            # *732: paused everywhere with the second of [desk] pause_reasons (休息).
            seen = len(c.events)
            await c.phone_dials(LIN.agent_id, "*732")
            paused = await _events(c, "QueueMemberPause", 2, seen)
            assert {(e["Interface"], e["Paused"], e["PausedReason"]) for e in paused} == {
                (LIN.interface, "1", "休息")}
            await _board_row(board, LIN.interface, {"state": "paused", "reason": "休息"})

            # *739: no ninth reason: nothing changes (the phone hears an error).
            seen = len(c.events)
            await c.phone_dials(LIN.agent_id, "*739")
            await daemon.logged("agi.pause_code_unknown", count=1)
            await asyncio.sleep(1.0)
            assert not [e for e in c.events[seen:] if e.get("Event") == "QueueMemberPause"]
            await _board_row(board, LIN.interface, {"state": "paused", "reason": "休息"})

            # *74: back, in every queue.
            seen = len(c.events)
            await c.phone_dials(LIN.agent_id, "*74")
            back = await _events(c, "QueueMemberPause", 2, seen)
            assert {e["Paused"] for e in back} == {"0"}
            await _board_row(board, LIN.interface, {"state": "available"})

            # *72: logged out of the desk's queues.
            seen = len(c.events)
            await c.phone_dials(LIN.agent_id, "*72")
            removed = await _events(c, "QueueMemberRemoved", 2, seen)
            assert sorted(e["Queue"] for e in removed) == sorted(DESK_QUEUES)
            await _board_row(board, LIN.interface, {"state": "logged_out"})

            # A phone that sets no CC_MEMBER: its channel's device, "-<sequence>" cut off
            # (a dash inside the name kept).
            seen = len(c.events)
            await c.phone_dials("derive", "")
            [member] = await _events(c, "UserEvent", 1, seen)
            assert member["UserEvent"] == "TestbedMember"
            assert member["Member"] == "Local/derive@testbed-handsets", member
            assert member["Channel"].startswith("Local/derive@testbed-handsets-")
            await board.aclose()
    finally:
        assert daemon.stop() == 0
