"""docs/install.md, executed on a fresh directory: the wheel built from the source, a
new venv with it installed (its dependencies from the package index, through pip's
cache), the secrets as credentials, `callcenter init`, `db upgrade`, a rollback with
`db downgrade`, and the shipped unit checked by `systemd-analyze verify` (which must be
there: scripts/setup installs it).  The installed program runs without the source
tree on its path, so the wheel alone must carry the migrations and the template."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from callcenter.store import db
from callcenter.users import service as users

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "install.md").read_text(encoding="utf-8")
SHIPPED = ("pyproject.toml", "README.md", "callcenter", "migrations", "config", "systemd", "docs",
           "dialplan")


def _run(*argv: str | Path, env: dict[str, str] | None = None, stdin: str = "",
         timeout: float = 300) -> str:
    done = subprocess.run([str(a) for a in argv], input=stdin, capture_output=True, text=True,
                          env=env, timeout=timeout, check=False)
    assert done.returncode == 0, f"{argv}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_install_guide_on_a_fresh_directory(tmp_path: Path) -> None:
    # The commands below are the guide's: they may not drift apart unnoticed.
    for command in ("pip wheel . --no-deps", "python3 -m venv /opt/callcenter/venv",
                    "init --owner callcenter", "CREDENTIALS_DIRECTORY=/etc/callcenter/credentials",
                    "credentials/ami.secret", "credentials/database.url", "db downgrade",
                    "systemd-analyze verify", ".backup", "VACUUM INTO", "pg_dump"):
        assert command in GUIDE, command
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: scripts/setup installs it (package systemd)"

    source = tmp_path / "src"  # a clean copy: no build/ left over from an earlier build
    source.mkdir()
    for name in SHIPPED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    _run(sys.executable, "-m", "pip", "wheel", source, "--no-deps", "-q", "-w", tmp_path / "dist")
    wheel = next((tmp_path / "dist").glob("callcenter-*.whl"))

    # Nothing of the source tree or of this test's settings reaches the installed program.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CALLCENTER", "PYTHON", "CREDENTIALS_DIRECTORY"))}
    venv = tmp_path / "opt" / "callcenter" / "venv"
    _run(sys.executable, "-m", "venv", venv, env=env)
    _run(venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check", wheel, env=env)
    share = venv / "share" / "callcenter"
    assert (share / "migrations" / "env.py").is_file()
    # The PBX include files of section 9, where the guide copies them from.
    assert "/opt/callcenter/venv/share/callcenter/dialplan/*.conf" in GUIDE
    assert sorted(p.name for p in (share / "dialplan").iterdir()) == sorted(
        p.name for p in (ROOT / "dialplan").glob("*.conf"))

    credentials = tmp_path / "etc" / "credentials"
    credentials.mkdir(parents=True, mode=0o700)
    url = f"sqlite:///{tmp_path}/lib/callcenter.db"
    (credentials / "database.url").write_text(url + "\n")
    (credentials / "ami.secret").write_text("not-in-the-config")
    config = tmp_path / "etc" / "callcenter.toml"
    env |= {"CREDENTIALS_DIRECTORY": str(credentials)}
    callcenter = venv / "bin" / "callcenter"
    owner = ["--owner", "nobody"] if os.geteuid() == 0 else []

    said = _run(callcenter, "--config", config, "init", *owner, env=env)
    head = db.head_revision(url)
    assert f"database: at revision {head}" in said and "supervisor: admin (created)" in said
    password = re.search(r"^password: (\S+)", said, re.MULTILINE)
    assert password is not None
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    text = config.read_text(encoding="utf-8")
    assert text == (ROOT / "config" / "callcenter.toml").read_text(encoding="utf-8")  # the template
    engine = db.engine_for(url)
    assert users.authenticate(engine, "admin", password.group(1)) is not None
    engine.dispose()
    if owner:
        database = Path(f"{tmp_path}/lib/callcenter.db")
        assert database.stat().st_uid == database.parent.stat().st_uid != 0
        assert stat.S_IMODE(database.stat().st_mode) == 0o600

    again = _run(callcenter, "--config", config, "init", "--password-stdin", env=env, stdin="x\n")
    assert "config: " in again and "(kept)" in again and "supervisor: admin (exists)" in again
    assert "password" not in again.replace("--password", "")
    assert _run(callcenter, "--config", config, "db", "upgrade", env=env).strip() \
        == f"database at revision {head}"
    back = _run(callcenter, "--config", config, "db", "downgrade", "-1", env=env).strip()
    assert back.startswith("database at revision ") and not back.endswith(head)
    assert _run(callcenter, "--config", config, "db", "current", env=env).strip() != head
    _run(callcenter, "--config", config, "db", "upgrade", env=env)
    assert _run(callcenter, "--config", config, "db", "current", env=env).strip() == head

    unit = tmp_path / "callcenter.service"
    shipped = (share / "systemd" / "callcenter.service").read_text(encoding="utf-8")
    assert "/opt/callcenter/venv/bin/callcenter" in shipped
    for line in ("UMask=0077", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "LoadCredential=ami.secret:/etc/callcenter/credentials/ami.secret",
                 "LoadCredential=database.url:/etc/callcenter/credentials/database.url"):
        assert line in shipped.splitlines(), line
    unit.write_text(shipped.replace("/opt/callcenter/venv", str(venv)), encoding="utf-8")
    verified = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                              timeout=60, check=False)
    # Unknown keys and bad values are only warnings to systemd: any output is a failure.
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")


def test_a_credential_is_a_setting(tmp_path: Path) -> None:
    from callcenter.ami.settings import AmiSettings  # noqa: PLC0415
    from callcenter.config import load  # noqa: PLC0415
    from callcenter.core.settings import DatabaseSettings  # noqa: PLC0415
    from callcenter.errors import ConfigError  # noqa: PLC0415

    (tmp_path / "ami.secret").write_text("from-systemd\n")
    (tmp_path / "database.url").write_text("postgresql+psycopg://cc:pw@db/cc")
    (tmp_path / "tls.key").write_text("someone else's")  # not a section of ours: ignored
    config = load(None, environ={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert config.get(AmiSettings).secret == "from-systemd"
    assert config.get(DatabaseSettings).url == "postgresql+psycopg://cc:pw@db/cc"
    env = {"CREDENTIALS_DIRECTORY": str(tmp_path), "CALLCENTER__AMI__SECRET": "env-wins"}
    assert load(None, environ=env).get(AmiSettings).secret == "env-wins"
    (tmp_path / "ami.secrett").write_text("typo")
    try:
        load(None, environ={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    except ConfigError as exc:
        assert "ami.secrett" in str(exc)
    else:
        raise AssertionError("a credential naming no setting of a known section is an error")
