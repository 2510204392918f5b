"""The fencing of callback claims, on the database: on PostgreSQL one session holds
the advisory lock, each new holder moves the epoch on, a stale leader's claim is
refused in its own transaction, and a claim under way holds the next epoch back
until it commits.  On SQLite the standby mode is refused at start (naming the key)
and a daemon alone claims as before."""

from __future__ import annotations

import threading
import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, text

from callcenter.callbacks import dial_store
from callcenter.callbacks import service as callbacks
from callcenter.cluster import service
from callcenter.cluster.settings import ClusterSection, cluster_settings
from callcenter.core.leader import LeaderGate
from callcenter.domain.calendar import WorkCalendar
from callcenter.domain.leadership import LeaderChange
from callcenter.domain.outcomes import DEFAULT_SERVER
from callcenter.domain.phone import PhoneNumber
from callcenter.errors import ConfigError
from callcenter.store import db
from callcenter.store import models as m

T0 = 1_780_000_000.0
TZ = ZoneInfo("Asia/Shanghai")


def _session(url: str, node: str) -> service.LockSession:
    return service.LockSession(service.lock_engine(url, 4.0, 2.0), 4242, node)


def _take(session: service.LockSession, now: float) -> int | None:
    """The lock, once the server has ended the old holder's session (it does so right
    after the connection closes, not at once)."""
    deadline = time.monotonic() + 5.0
    while (epoch := session.try_acquire(now)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return epoch


def _contact(engine: Engine) -> tuple[object, object]:
    campaign_id = callbacks.create_campaign(engine, callbacks.NewCampaign("fence"), T0)
    callbacks.add_contact(engine, campaign_id, PhoneNumber.parse("13800001111"), T0, tz=TZ,
                          calendar=WorkCalendar(), deadline=T0 + 86400)
    with engine.connect() as conn:
        return (conn.execute(select(m.Contact)).one(), conn.execute(select(m.Campaign)).one())


def _claim(engine: Engine, gate: LeaderGate, due: tuple[object, object], channel_id: str,
           action_id: str) -> int | None:
    """The dialer's claim of a due contact (through the one default server), as `gate` leads."""
    contact, campaign = due
    return dial_store.store_dialing(engine, gate, contact, campaign, channel_id=channel_id,
                                    action_id=action_id, now=T0, server=DEFAULT_SERVER)


def _status(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(m.Contact.status)).scalar_one())


def test_one_holder_and_each_new_holder_moves_the_epoch_on(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        with pytest.raises(ConfigError) as refused:
            cluster_settings(ClusterSection(mode="standby"), db_url)
        assert refused.value.key == "cluster.mode" and "PostgreSQL" in str(refused.value)
        return
    first, second = _session(db_url, "a"), _session(db_url, "b")
    try:
        assert first.try_acquire(T0) == 1
        assert second.try_acquire(T0) is None  # held: the other waits
        assert first.heartbeat(1)
        first.close()  # the session gone is the lock gone
        assert _take(second, T0 + 1) == 2
        assert not first.heartbeat(1)  # a new session of the old leader: epoch superseded
        assert service.current(db.engine_for(db_url))[:2] == (2, "b")  # type: ignore[index]
    finally:
        first.close()
        second.close()


async def test_a_stale_leader_claims_nothing(db_url: str) -> None:
    engine = db.engine_for(db_url)
    contact, campaign = _contact(engine)
    if db_url.startswith("sqlite"):  # alone: the claim is not fenced at all
        assert _claim(engine, LeaderGate(), (contact, campaign), "c1", "a1")
        assert _status(engine) == "dialing"
        return
    old, new = _session(db_url, "old"), _session(db_url, "new")
    try:
        assert old.try_acquire(T0) == 1
        gate = LeaderGate()
        gate.join_cluster(service.holds_epoch)
        gate.change(LeaderChange(True, 1, "test", T0))
        old.close()  # the old leader's lock connection died; it does not know yet
        assert _take(new, T0 + 5) == 2
        assert gate.is_leader()  # still believes it leads...
        assert _claim(engine, gate, (contact, campaign), "c1", "a1") is None  # ...refused
        assert _status(engine) == "pending"
        with engine.connect() as conn:
            assert conn.execute(select(m.Attempt)).all() == []
        gate2 = LeaderGate()
        gate2.join_cluster(service.holds_epoch)
        gate2.change(LeaderChange(True, 2, "test", T0 + 5))
        assert _claim(engine, gate2, (contact, campaign), "c2", "a2") is not None
        assert _status(engine) == "dialing"
    finally:
        old.close()
        new.close()


def test_a_claim_under_way_holds_the_next_epoch_back(db_url: str) -> None:
    engine = db.engine_for(db_url)
    if db_url.startswith("sqlite"):
        with engine.connect() as conn:
            assert not service.holds_epoch(conn, 1)  # no fencing on SQLite: never a cluster
        return
    old, new = _session(db_url, "old"), _session(db_url, "new")
    taken: list[int | None] = []
    try:
        assert old.try_acquire(T0) == 1
        with engine.begin() as claim:
            assert service.holds_epoch(claim, 1)
            old.close()
            racer = threading.Thread(target=lambda: taken.append(_take(new, T0 + 1)))
            racer.start()
            racer.join(1.5)
            assert racer.is_alive() and taken == []  # the epoch waits for the claim:
            with engine.connect() as watch:  # the new holder's session waits on our row
                waiting = watch.execute(text(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE application_name = "
                    "'callcenter-leader' AND state = 'active'")).scalars().all()
            assert waiting == ["Lock"]
        racer.join(5.0)
        assert taken == [2]
        with engine.begin() as late:
            assert not service.holds_epoch(late, 1)  # a claim after the move is refused
    finally:
        old.close()
        new.close()
