"""A real Asterisk 22 in a Debian sid chroot, for the integration tests and the demo.

The chroot is built on demand with mmdebstrap and cached on the machine; nothing of
it is committed.  Each `TestBed` runs its own Asterisk instance with its own
configuration directory inside the chroot, the project's shipped `dialplan/` include
files included as an operator includes them, so those files are proven to parse and work.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.errors import TestBedError

DEFAULT_ROOT = Path(os.environ.get("CALLCENTER_ASTERISK_ROOT", "/var/cache/callcenter/asterisk-root"))
PROJECT_DIR = Path(__file__).resolve().parents[2]
DIALPLAN_DIR = PROJECT_DIR / "dialplan"
CONF_TEMPLATES = Path(__file__).with_name("conf")

# Directories Asterisk writes to; root here lacks DAC override, so they must be
# owned by root for Asterisk (running as root) to use them.
_OWNED_DIRS = (
    "etc/asterisk",
    "var/lib/asterisk",
    "var/spool/asterisk",
    "var/log/asterisk",
    "var/run/asterisk",
    "usr/share/asterisk",
)
ADMIN_USER = "testbed"
ADMIN_SECRET = "testbed-admin"  # noqa: S105 - loopback-only test bed account
DAEMON_USER = "callcenter"
DAEMON_SECRET = "callcenter-test"  # noqa: S105 - loopback-only test bed account


def build_chroot(root: Path = DEFAULT_ROOT) -> Path:
    """Install Asterisk from Debian sid into `root` unless it is already there."""
    if (root / "usr/sbin/asterisk").exists():
        return root
    if shutil.which("mmdebstrap") is None:
        _run(["apt-get", "update", "-qq"])
        _run(["apt-get", "install", "-y", "-qq", "mmdebstrap"])
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [
            "mmdebstrap",
            "--variant=apt",
            "--aptopt=Acquire::Check-Valid-Until \"false\"",
            "--include=asterisk,asterisk-modules,asterisk-config",
            "sid",
            str(partial),
        ]
    )
    for rel in _OWNED_DIRS:
        target = partial / rel
        target.mkdir(parents=True, exist_ok=True)
        _run(["chown", "-R", "root:root", str(target)])
    partial.rename(root)
    return root


def _run(cmd: list[str]) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise TestBedError(f"{' '.join(cmd[:2])} failed ({result.returncode}): {result.stderr[-2000:]}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class TestBed:
    """One Asterisk instance with the project's configuration, on a free AMI port."""

    __test__ = False  # not a pytest test class

    name: str = "default"
    root: Path = DEFAULT_ROOT
    ami_port: int = field(default_factory=free_port)
    # Where the shipped dialplan's ${CC_AGI} points: the daemon under test listens here.
    agi_port: int = field(default_factory=free_port)
    # asterisk.conf's `systemname` (it prefixes every Uniqueid): set it on each of
    # several servers one daemon follows, so their call ids never collide.
    systemname: str = ""
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def instance_dir(self) -> Path:
        return self.root / "tb" / self.name

    @property
    def log_path(self) -> Path:
        return self.instance_dir / "asterisk.out"

    @property
    def queue_log(self) -> Path:
        """Asterisk's own queue_log (logger.conf's default: on), seen from outside the
        chroot: what the daemon reads to backfill its gaps."""
        return self.instance_dir / "log" / "queue_log"

    @property
    def recordings_dir(self) -> Path:
        """Where MixMonitor writes the calls' recordings, seen from outside the chroot:
        the daemon's `[recordings] dir`."""
        return self.instance_dir / "recordings"

    @property
    def recordings_asterisk_dir(self) -> str:
        """The same directory as Asterisk sees it: `[recordings] asterisk_dir`."""
        return f"/tb/{self.name}/recordings"

    def configure(self) -> None:
        inst = self.instance_dir
        etc = inst / "etc"
        shutil.rmtree(etc, ignore_errors=True)
        for sub in ("etc", "run", "log", "spool", "db", "recordings"):
            (inst / sub).mkdir(parents=True, exist_ok=True)
        chroot_inst = f"/tb/{self.name}"
        values = {
            "INSTANCE": chroot_inst,
            "AMI_PORT": str(self.ami_port),
            "AGI_PORT": str(self.agi_port),
            "ADMIN_USER": ADMIN_USER,
            "ADMIN_SECRET": ADMIN_SECRET,
            "DAEMON_USER": DAEMON_USER,
            "DAEMON_SECRET": DAEMON_SECRET,
        }
        for template in sorted(CONF_TEMPLATES.iterdir()):
            text = template.read_text(encoding="utf-8")
            for key, value in values.items():
                text = text.replace("@" + key + "@", value)
            if template.name == "asterisk.conf" and self.systemname:
                text += f"systemname = {self.systemname}\n"
            (etc / template.name).write_text(text, encoding="utf-8")
        # The shipped include files, loaded as they are (proven to parse and work), by the
        # #include lines docs/install.md tells an operator to add (conf/*.conf); only the
        # AMI account's secret is set, as an operator sets it.
        for shipped in sorted(DIALPLAN_DIR.glob("*.conf")):
            shutil.copy(shipped, etc / shipped.name)
        (etc / "manager_callcenter.conf").write_text(
            _daemon_account(DIALPLAN_DIR / "manager_callcenter.conf"), encoding="utf-8"
        )

    def start(self, timeout: float = 30.0, *, fresh: bool = True) -> None:
        """Start Asterisk; `fresh` wipes the instance's state (astdb: persistent members)."""
        build_chroot(self.root)
        self._kill_stale()
        if fresh:
            shutil.rmtree(self.instance_dir / "db", ignore_errors=True)
        self.configure()
        cmd = [
            "chroot",
            str(self.root),
            "/usr/sbin/asterisk",
            "-f",
            "-n",
            "-U",
            "root",
            "-C",
            f"/tb/{self.name}/etc/asterisk.conf",
        ]
        with self.log_path.open("ab") as out:
            self._process = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        # chroot execs asterisk: the same pid, remembered for a run that dies before stop().
        self._pid_path.write_text(str(self._process.pid), encoding="ascii")
        self._wait_fully_booted(timeout)

    @property
    def _pid_path(self) -> Path:
        return self.instance_dir / "asterisk.pid"

    def _kill_stale(self) -> None:
        """An instance left running by a killed test run would hold the control socket:
        end the one we started, by the pid we wrote, if it is still that Asterisk."""
        try:
            pid = int(self._pid_path.read_text(encoding="ascii"))
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if f"/tb/{self.name}/etc/asterisk.conf".encode() in cmdline:  # not a reused pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
        self._pid_path.unlink(missing_ok=True)

    def _wait_fully_booted(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise TestBedError(f"asterisk exited with {self._process.returncode}; see {self.log_path}")
            if self._ami_fully_booted():
                return
            time.sleep(0.2)
        raise TestBedError(f"asterisk did not boot within {timeout}s; see {self.log_path}")

    def _ami_fully_booted(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.ami_port), timeout=2) as sock:
                sock.sendall(
                    f"Action: Login\r\nUsername: {ADMIN_USER}\r\nSecret: {ADMIN_SECRET}\r\n\r\n".encode()
                )
                data = b""
                deadline = time.monotonic() + 3
                while b"FullyBooted" not in data and time.monotonic() < deadline:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return False
                    data += chunk
                return b"FullyBooted" in data
        except OSError:
            return False

    def stop(self, timeout: float = 15.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        self._pid_path.unlink(missing_ok=True)

    def restart(self) -> None:
        """Stop and start again, keeping state, as an operator's restart would."""
        self.stop()
        self.start(fresh=False)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> TestBed:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _daemon_account(shipped_manager_conf: Path) -> str:
    """The shipped least-privilege AMI account, with the test bed's secret."""
    lines = []
    in_account = False
    for line in shipped_manager_conf.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            in_account = stripped == f"[{DAEMON_USER}]"
        if not in_account:
            continue
        lines.append(f"secret = {DAEMON_SECRET}" if stripped.startswith("secret") else line)
    if not lines:
        raise TestBedError(f"{shipped_manager_conf} has no [{DAEMON_USER}] account")
    return "\n".join(lines) + "\n"
