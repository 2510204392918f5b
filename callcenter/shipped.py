"""Files shipped beside the package: the database migrations, the example (template)
configuration, the systemd unit.  In a source tree they are at its top; a wheel
installs them as data files under `<prefix>/share/callcenter/` (pyproject.toml)."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

SOURCE_TREE = Path(__file__).resolve().parents[1]


def _bases() -> list[Path]:
    bases = []
    if (SOURCE_TREE / "pyproject.toml").is_file():  # a checkout (or an editable install)
        bases.append(SOURCE_TREE)
    bases += [Path(sysconfig.get_path("data")) / "share" / "callcenter",
              Path(sys.prefix) / "share" / "callcenter"]
    return bases


def shipped(relative: str) -> Path:
    """The shipped file or directory `relative` (e.g. "migrations")."""
    for base in _bases():
        if (base / relative).exists():
            return base / relative
    raise FileNotFoundError(f"{relative} is not installed (looked in "
                            f"{', '.join(str(b) for b in _bases())})")
