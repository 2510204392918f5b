from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from callcenter.ami.settings import AmiSettings
from callcenter.config import load
from callcenter.core.settings import CenterSettings, DatabaseSettings
from callcenter.domain import events as ev
from callcenter.domain import outcomes as oc
from callcenter.domain.clock import ManualClock
from callcenter.domain.phone import mask, normalise
from callcenter.domain.rules import RingRules
from callcenter.domain.tracker import Tracker
from callcenter.errors import ConfigError
from callcenter.inbound.settings import RulesSettings, StorageSettings, ring_rules


def _called(leg: str, who: str) -> ev.AgentCalled:
    return ev.AgentCalled("q", "c1", "c1", "13800138000", leg, f"Local/{who}", who)


def test_budget_is_cadence_times_rings_and_both_are_settings() -> None:
    clock = ManualClock(100.0)
    tracker = Tracker(RingRules(ring_cadence_s=6, max_rings=2, late_answer_penalty=7), clock)
    tracker.handle(ev.CallerJoined("q", "c1", "c1", "13800138000", 1))
    tracker.handle(_called("l1", "amy"))
    assert tracker.ring.next_deadline() == 112.0
    clock.set(111.9)
    assert not [o for o in tracker.tick() if isinstance(o, oc.ViolationRaised)]
    clock.set(112.0)
    raised = [o for o in tracker.tick() if isinstance(o, oc.ViolationRaised)]
    assert [(r.agent.name, r.penalty_points, r.budget_s) for r in raised] == [("amy", 7, 12.0)]


def test_ringall_timeout_sends_no_answer_for_every_member() -> None:
    clock = ManualClock(0.0)
    tracker = Tracker(RingRules(), clock)
    tracker.handle(ev.CallerJoined("q", "c1", "c1", "1", 1))
    tracker.handle(_called("l1", "amy"))
    tracker.handle(_called("l2", "ben"))
    clock.set(20.0)
    out = tracker.tick()
    for leg, who in (("l1", "amy"), ("l2", "ben")):
        out += tracker.handle(ev.AgentRingNoAnswer("q", "c1", "c1", leg, f"Local/{who}", who, 20.0))
    settled = [(o.leg_uniqueid, o.kind) for o in out if isinstance(o, oc.ViolationSettled)]
    assert settled == [("l1", oc.ViolationKind.NO_ANSWER), ("l2", oc.ViolationKind.NO_ANSWER)]
    assert len([o for o in out if isinstance(o, oc.ViolationRaised)]) == 2


def test_answer_in_time_cancels_the_other_legs_without_violation() -> None:
    clock = ManualClock(0.0)
    tracker = Tracker(RingRules(), clock)
    tracker.handle(_called("l1", "amy"))
    tracker.handle(_called("l2", "ben"))
    clock.set(14.9)
    out = tracker.handle(ev.AgentConnected("q", "c1", "c1", "1", "l2", "Local/ben", "ben", 14, 14))
    assert not [o for o in out if isinstance(o, oc.ViolationRaised | oc.ViolationSettled)]
    results = {o.agent.name: o.result for o in out if isinstance(o, oc.RingLegEnded)}
    assert results == {"ben": oc.LegResult.ANSWERED, "amy": oc.LegResult.CANCELLED}
    assert tracker.ring.next_deadline() is None


def test_paused_agent_shows_reason() -> None:
    tracker = Tracker(RingRules(), ManualClock(0.0))
    out = tracker.handle(ev.MemberUpdated("q", "Local/a", "amy", 1, True, "lunch", False))
    states = [(o.state, o.reason) for o in out if isinstance(o, oc.AgentStateChanged)]
    assert states == [(oc.AgentState.PAUSED, "lunch")]


def test_resync_drops_members_and_callers_that_left_while_away() -> None:
    clock = ManualClock(50.0)
    tracker = Tracker(RingRules(), clock)
    tracker.handle(ev.MemberUpdated("q", "Local/a", "amy", 1, False, "", False))
    tracker.handle(ev.CallerJoined("q", "gone", "gone", "1", 1))
    out = tracker.handle(ev.QueueSnapshot(
        ("q",), (), (ev.WaitingEntry("q", "c9", "c9", "139", 1, 30.0),)))
    assert list(tracker.queues["q"].waiting) == ["c9"]
    assert tracker.queues["q"].longest_wait_s(clock.now()) == 30.0
    assert [o.state for o in out if isinstance(o, oc.AgentStateChanged)] == [
        oc.AgentState.LOGGED_OUT]


@pytest.mark.parametrize(("raw", "canonical"), [
    ("+8613800138000", "13800138000"), ("008613800138000", "13800138000"),
    ("8613800138000", "13800138000"), ("138-0013-8000", "13800138000"),
    ("+86 10 6552 9988", "01065529988"), ("01065529988", "01065529988"),
])
def test_numbers_are_normalised(raw: str, canonical: str) -> None:
    assert normalise(raw) == canonical


def test_numbers_are_masked() -> None:
    assert mask("+8613800138000") == "138****8000"


def test_config_defaults_and_keys(tmp_path: Path) -> None:
    cfg = load(None, environ={})
    rules = ring_rules(cfg.get(RulesSettings), cfg.get(StorageSettings))
    assert rules.ring_budget_s == 15.0 and rules.late_answer_penalty == 5
    assert str(cfg.get(CenterSettings).tz) == "Asia/Shanghai"
    assert cfg.get(DatabaseSettings).url.startswith("sqlite:///")
    example = Path(__file__).parents[2] / "config" / "callcenter.toml"
    assert load(example, environ={}).get(AmiSettings).username == "callcenter"


@pytest.mark.parametrize(("text", "key"), [
    ("[rules]\nmax_rings = 0\n", "rules.max_rings"),
    ("[rules]\nring_cadence_s = 'five'\n", "rules.ring_cadence_s"),
    ("[center]\ntimezone = 'Mars/Olympus'\n", "center.timezone"),
    ("[ami]\nport = 70000\n", "ami.port"),
    ("[ami]\nprot = 5038\n", "ami.prot"),
    ("[database]\nurl = 'mysql://x'\n", "database.url"),
])
def test_bad_settings_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load(path, environ={})
    assert err.value.key == key


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[ami]\nsecret = 'in-file'\n")
    cfg = load(path, environ={"CALLCENTER__AMI__SECRET": "from-env"})
    assert cfg.get(AmiSettings).secret == "from-env"
    assert "from-env" not in repr(cfg.get(AmiSettings))  # secrets stay out of reprs


def test_a_quiet_queue_is_still_sampled_on_time() -> None:
    """Regression: with no other timer running, samples must not slide away."""
    clock = ManualClock(1000.0)
    tracker = Tracker(RingRules(sample_interval_s=5), clock)
    tracker.handle(ev.CallerJoined("q", "c1", "c1", "1", 1))
    samples = []
    for _ in range(60):  # the daemon's timer loop: sleep until the deadline, tick
        deadline = tracker.next_deadline()
        assert deadline is not None
        clock.set(max(clock.now(), deadline))
        samples += [o for o in tracker.tick() if isinstance(o, oc.QueueSampled)]
    times = [o.at for o in samples]
    assert times[0] == 1000.0 and len(times) == 60
    assert all(b - a == 5.0 for a, b in itertools.pairwise(times))


def test_several_ami_servers_each_named(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[[ami]]\nname = 'pbx1'\nport = 5001\n"
                    "[[ami]]\nname = 'pbx2'\nport = 5002\nsecret = 'in-file'\n")
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "ami.pbx1.secret").write_text("cred-1\n")
    cfg = load(path, environ={"CALLCENTER__AMI__PBX2__SECRET": "env-2",
                              "CALLCENTER__AMI__USERNAME": "everyone",
                              "CREDENTIALS_DIRECTORY": str(creds)})
    servers = cfg.every(AmiSettings)
    assert [(s.name, s.port, s.secret, s.username) for s in servers] == [
        ("pbx1", 5001, "cred-1", "everyone"), ("pbx2", 5002, "env-2", "everyone")]
    assert cfg.get(AmiSettings) is servers[0]  # the first server for single-server readers
    assert [s.health_part for s in servers] == ["ami:pbx1", "ami:pbx2"]


def test_a_single_ami_table_is_the_default_server(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[ami]\nport = 5001\n")
    (server,) = load(path, environ={"CALLCENTER__AMI__DEFAULT__SECRET": "s"}).every(AmiSettings)
    assert (server.name, server.port, server.secret, server.health_part) == (
        "default", 5001, "s", "ami")


@pytest.mark.parametrize(("text", "key"), [
    ("[[ami]]\nname = 'a'\n[[ami]]\nname = 'a'\n", "ami.name"),
    ("[[ami]]\nname = 'a'\n[[ami]]\nport = 1\n", "ami.name"),
    ("[[ami]]\nname = 'Bad Name'\n", "ami.name"),
    ("[[rules]]\nmax_rings = 3\n", "rules"),
])
def test_bad_server_lists_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load(path, environ={})
    assert err.value.key == key


def test_an_override_naming_no_server_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[[ami]]\nname = 'pbx1'\n")
    with pytest.raises(ConfigError) as err:
        load(path, environ={"CALLCENTER__AMI__PBX9__SECRET": "x"})
    assert err.value.key == "CALLCENTER__AMI__PBX9__SECRET"
