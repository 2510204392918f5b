"""The dialer over several Asterisk servers: a campaign dials through its own server
or is spread over those up (in turns, the fewest under way first, a server with a
free callback agent first for customer-first); agent-first rings the agent's phone
through the agent's server; a server that is down is skipped (its pinned campaigns
wait, noted once); each attempt records its server, and after a restart each
server's reconnect reconciles only the attempts dialed through it, against that
server's own CoreShowChannels.  On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, update
from structlog.testing import capture_logs

from callcenter.callbacks import service
from callcenter.callbacks.dialer import Dialer
from callcenter.callbacks.links import DialLink
from callcenter.core.leader import LeaderGate
from callcenter.domain.calendar import WorkCalendar
from callcenter.domain.clock import ManualClock
from callcenter.domain.dial_route import Route, Spread
from callcenter.domain.leadership import LeaderChange
from callcenter.domain.phone import PhoneNumber
from callcenter.store import db
from callcenter.store import models as m
from tests.unit.test_replay_callbacks import _settings

T0 = 1_780_448_400.0  # Wed 2026-06-03 09:00 in Shanghai: the dialer dials an hour later
TZ = ZoneInfo("Asia/Shanghai")


# -- the choice (pure) ----------------------------------------------------------------
def test_a_pinned_campaign_dials_through_its_server_or_waits() -> None:
    spread = Spread(["pbx1", "pbx2"])
    assert spread.choose("pbx2", {"pbx1", "pbx2"}, {}) == Route("pbx2")
    assert spread.choose("pbx2", {"pbx1"}, {}) == Route(None, "server_down")
    assert spread.choose("pbx9", {"pbx1", "pbx2"}, {}) == Route(None, "unknown_server")


def test_spreading_takes_turns_fewest_under_way_first_and_skips_a_down_server() -> None:
    spread = Spread(["pbx1", "pbx2", "pbx3"])
    up = {"pbx1", "pbx2", "pbx3"}
    assert [spread.choose("", up, {}).server for _ in range(4)] == ["pbx1", "pbx2", "pbx3",
                                                                    "pbx1"]
    assert spread.choose("", up, {"pbx2": 3, "pbx3": 1, "pbx1": 1}).server == "pbx3"
    assert [spread.choose("", {"pbx1", "pbx3"}, {}).server for _ in range(3)] == [
        "pbx1", "pbx3", "pbx1"]
    assert spread.choose("", set(), {}) == Route(None, "none_up")


def test_spreading_prefers_a_server_with_a_free_callback_agent() -> None:
    spread = Spread(["pbx1", "pbx2"])
    up = {"pbx1", "pbx2"}
    free = {"pbx1": 0, "pbx2": 2}
    assert [spread.choose("", up, {}, free=free).server for _ in range(3)] == ["pbx2"] * 3
    assert spread.choose("", up, {}, free={"pbx1": 0, "pbx2": 0}).server == "pbx1"  # none free


def test_agent_first_rings_through_the_agents_server_whatever_the_campaign_says() -> None:
    spread = Spread(["pbx1", "pbx2"])
    assert spread.choose("", {"pbx1", "pbx2"}, {}, agent_on="pbx2") == Route("pbx2")
    assert spread.choose("pbx1", {"pbx1"}, {}, agent_on="pbx2") == Route(
        None, "agent_server_down")


# -- the dialer, against a database ------------------------------------------------------
class _Link:
    """One server's AMI link as the dialer uses it: what was sent, a live listing."""

    def __init__(self) -> None:
        self.connected = True
        self.sent: list[dict[str, str]] = []
        self.channels: list[dict[str, str]] = []

    async def originate(self, fields: dict[str, str], *, timeout: float) -> list[dict[str, str]]:
        self.sent.append(fields)
        await asyncio.Event().wait()  # the reply never comes in these tests
        return []

    async def action(self, fields: dict[str, str], *,
                     as_list: bool = False) -> list[dict[str, str]]:
        self.sent.append(fields)
        return [*self.channels, {"Event": "CoreShowChannelsComplete", "ListItems": "0"}]

    def originated(self) -> list[str]:
        return [f["Variable"].split("CC_NUMBER=")[1].split(",")[0]
                for f in self.sent if "ChannelId" in f]


def _dialer(engine: Engine, links: dict[str, _Link], *, free: dict[str, int] | None = None,
            agent_on: str | None = None, leader: LeaderGate | None = None) -> Dialer:
    free = free or {}
    return Dialer(
        engine, next(iter(links.values())), settings=_settings(),  # type: ignore[arg-type]
        clock=ManualClock(T0 + 3600), center_tz=TZ, free_agents=lambda _q: sum(free.values()) or 1,
        paused_by_surge=lambda: False, leader=leader,
        links=[DialLink(name, link, lambda _q, n=name: free.get(n, 0),  # type: ignore[arg-type,misc]
                        lambda _i, n=name: n == agent_on)
               for name, link in links.items()])


def _campaign(engine: Engine, numbers: list[str], **spec: Any) -> int:
    campaign = service.create_campaign(
        engine, service.NewCampaign("c", max_in_flight=10, **spec), T0,
        servers=["pbx1", "pbx2"])
    for number in numbers:
        service.add_contact(engine, campaign, PhoneNumber.parse(number), T0, tz=TZ,
                            calendar=WorkCalendar(), deadline=T0 + 7 * 86400)
    with engine.begin() as conn:  # due now, whatever the dialing window says
        conn.execute(update(m.Contact).values(next_due_at=T0))
    return campaign


def _attempts(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return sorted((a.phone, a.server, a.status) for a in conn.execute(select(m.Attempt)))


async def _tick(dialer: Dialer) -> int:
    started = await dialer.tick()
    await asyncio.sleep(0)  # each Originate is sent by its own task
    return started


NUMBERS = ["13800000001", "13800000002", "13800000003", "13800000004"]


async def test_a_spread_campaign_dials_through_both_and_records_each_attempts_server(
        db_url: str) -> None:
    engine = db.engine_for(db_url)
    _campaign(engine, NUMBERS[:2])
    links = {"pbx1": _Link(), "pbx2": _Link()}
    dialer = _dialer(engine, links, free={"pbx1": 2, "pbx2": 2})
    try:
        assert await _tick(dialer) == 2
        assert len(links["pbx1"].originated()) == 1 and len(links["pbx2"].originated()) == 1
        stored = _attempts(engine)
        assert {s for _p, s, _st in stored} == {"pbx1", "pbx2"}
        for name, link in links.items():  # each number went out where its attempt says
            assert (link.originated()[0], name, "dialing") in stored

        # pbx2 down: the next contacts go through pbx1 only.
        links["pbx2"].connected = False
        _campaign(engine, NUMBERS[2:])
        assert await _tick(dialer) == 2
        assert len(links["pbx1"].originated()) == 3 and len(links["pbx2"].originated()) == 1
        assert [s for p, s, _st in _attempts(engine) if p in NUMBERS[2:]] == ["pbx1", "pbx1"]
    finally:
        await dialer.close()
        engine.dispose()


async def test_a_campaign_pinned_to_a_down_server_waits_and_says_so_once(db_url: str) -> None:
    engine = db.engine_for(db_url)
    campaign = _campaign(engine, NUMBERS[:1], server="pbx2")
    links = {"pbx1": _Link(), "pbx2": _Link()}
    links["pbx2"].connected = False
    dialer = _dialer(engine, links)
    try:
        with capture_logs() as logs:
            assert await _tick(dialer) == 0
            assert await _tick(dialer) == 0
        waiting = [entry for entry in logs if entry["event"] == "callback.campaign_waiting"]
        assert waiting == [{"event": "callback.campaign_waiting", "log_level": "warning",
                            "campaign": campaign, "server": "pbx2", "why": "server_down"}]
        assert links["pbx1"].sent == [] and _attempts(engine) == []
        links["pbx2"].connected = True
        with capture_logs() as logs:
            assert await _tick(dialer) == 1
        assert [e["event"] for e in logs if e["event"].startswith("callback.campaign")] == [
            "callback.campaign_going_on"]
        assert _attempts(engine) == [(NUMBERS[0], "pbx2", "dialing")]
        assert len(links["pbx2"].originated()) == 1 and links["pbx1"].sent == []
        with pytest.raises(service.CampaignError, match="no Asterisk server 'pbx9'"):
            _campaign(engine, [], server="pbx9")
    finally:
        await dialer.close()
        engine.dispose()


async def test_agent_first_rings_the_agent_through_the_agents_server(db_url: str) -> None:
    engine = db.engine_for(db_url)
    _campaign(engine, NUMBERS[:1], mode="agent_first", agent_interface="PJSIP/1001")
    links = {"pbx1": _Link(), "pbx2": _Link()}
    dialer = _dialer(engine, links, agent_on="pbx2")
    try:
        assert await _tick(dialer) == 1
        assert links["pbx1"].sent == []
        assert links["pbx2"].sent[0]["Channel"] == "PJSIP/1001"
        assert _attempts(engine) == [(NUMBERS[0], "pbx2", "dialing")]
    finally:
        await dialer.close()
        engine.dispose()


async def test_each_servers_reconnect_reconciles_only_its_own_attempts(db_url: str) -> None:
    engine = db.engine_for(db_url)
    _campaign(engine, NUMBERS[:2])
    before = {"pbx1": _Link(), "pbx2": _Link()}
    first = _dialer(engine, before, free={"pbx1": 1, "pbx2": 1})
    assert await _tick(first) == 2
    await first.close()  # the process dies with both attempts under way
    channel = {name: link.sent[0]["ChannelId"] for name, link in before.items()}

    links = {"pbx1": _Link(), "pbx2": _Link()}
    links["pbx2"].channels = [{"Event": "CoreShowChannel", "Uniqueid": channel["pbx2"],
                               "ChannelState": "5", "BridgeId": ""}]
    gate = LeaderGate()
    gate.join_cluster(lambda _conn, _epoch: True)  # a new leader: reconciles, then dials
    dialer = _dialer(engine, links, leader=gate)
    try:
        assert dialer.reconciled == set()
        await dialer.reconcile("pbx2")  # nothing: a standby leaves them to the leader
        assert links["pbx2"].sent == []
        gate.change(LeaderChange(True, 1, "test", T0))
        links["pbx1"].connected = False  # only pbx2 is linked when it takes the lead
        dialer.on_leader([LeaderChange(True, 1, "test", T0)])
        await dialer.drain()
        assert dialer.reconciled == {"pbx2"}
        assert links["pbx2"].sent == [{"Action": "CoreShowChannels"}] and links["pbx1"].sent == []
        assert list(dialer.watched) == [channel["pbx2"]]  # alive there: followed again
        assert _status(engine, channel["pbx1"]) == "dialing"  # pbx1's: not judged by pbx2
        links["pbx1"].connected = True
        await dialer.reconcile("pbx1")  # pbx1 back: its own listing, without the channel
        await dialer.drain()
        assert links["pbx1"].sent == [{"Action": "CoreShowChannels"}]
        assert _status(engine, channel["pbx1"]) == "unknown"  # vanished there: a person decides
        assert _status(engine, channel["pbx2"]) == "dialing"
        assert dialer.reconciled == {"pbx1", "pbx2"}
    finally:
        await dialer.close()
        engine.dispose()


def _status(engine: Engine, channel_id: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(m.Attempt.status)
                                .where(m.Attempt.channel_id == channel_id)).scalar_one())
