from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import structlog.testing

from callcenter import inbound
from callcenter.cli.main import main
from callcenter.config import load
from callcenter.daemon import Daemon
from callcenter.domain import outcomes as oc
from callcenter.store import db
from tests.replay import load as load_fixture


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "callcenter.cli.main", *args],
                          check=False, capture_output=True, text=True, timeout=60)


def test_bad_setting_exits_2_naming_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[rules]\nmax_rings = -1\n")
    result = _cli("--config", str(cfg), "queues")
    assert result.returncode == 2
    assert "rules.max_rings" in result.stderr and "greater than 0" in result.stderr


def test_run_refuses_an_out_of_date_schema(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n')
    result = _cli("--config", str(cfg), "run")
    assert result.returncode == 1
    assert "callcenter db upgrade" in result.stderr and "db.schema_out_of_date" in result.stderr


def test_readers_print_json_arrays_and_tables(tmp_path: Path, capsys: object) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n')
    assert main(["--config", str(cfg), "db", "upgrade"]) == 0
    for what in ("queues", "agents", "tickets", "violations"):
        assert main(["--config", str(cfg), what, "--json"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert out.count("[]") == 4


def test_daemon_skips_malformed_and_unknown_messages(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/d.db"
    db.upgrade(url)
    # The inbound feature alone: the others' side tasks need a running loop.
    daemon = Daemon(load(None, environ={"CALLCENTER__DATABASE__URL": url}),
                    features=(inbound.FEATURE,))
    emitted: list[oc.Outcome] = []
    daemon.core.outcomes.subscribe(emitted.extend)
    good = load_fixture("inbound", "answered_in_time")
    with structlog.testing.capture_logs() as logs:
        daemon.on_message({"Event": "AgentConnect", "Queue": "support"})  # fields missing
        daemon.on_message({"Event": "SomethingNew", "X": "1"})  # unknown
        daemon.on_message({"Response": "Success"})  # not an event at all
        for record in good:
            daemon.on_message(record["event"])
    assert [entry["event"] for entry in logs if entry["log_level"] == "warning"] == [
        "ami.malformed_event", "ami.malformed_event"]
    assert len([o for o in emitted if isinstance(o, oc.TicketOpened)]) == 1


def test_fixtures_are_real_recordings() -> None:
    """Fixtures come from the test bed (scripts: python -m callcenter.testbed.record)."""
    fixture = json.loads((Path(__file__).parents[1] / "fixtures/inbound/answered_late.json")
                         .read_text(encoding="utf-8"))
    assert fixture["recorded_with"].startswith("Asterisk 22")
    assert any(r["event"].get("Privilege") for r in fixture["events"])


def test_run_refuses_the_standby_mode_on_sqlite(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    url = f"sqlite:///{tmp_path}/x.db"
    cfg.write_text(f'[database]\nurl = "{url}"\n[cluster]\nmode = "standby"\n')
    assert _cli("--config", str(cfg), "db", "upgrade").returncode == 0
    result = _cli("--config", str(cfg), "run")
    assert result.returncode == 1
    assert "cluster.mode" in result.stderr and "needs PostgreSQL" in result.stderr
    assert "config.invalid" in result.stderr
