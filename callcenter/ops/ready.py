"""Readiness from the health registry's snapshot (pure): ready when every required
part is known and ok.  A required name matches the part of that name and its
per-server parts (`ami:<server>`, `ami.<server>`), so several AMI links all count."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from callcenter.core.health import Condition


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    failing: tuple[str, ...]  # required parts not ok, or not reported yet
    parts: Mapping[str, bool]  # every reported part, ok or not


def _matches(part: str, name: str) -> bool:
    return part == name or part.startswith((f"{name}:", f"{name}."))


def readiness(snapshot: Mapping[str, Condition], required: Iterable[str]) -> Readiness:
    failing: list[str] = []
    for name in required:
        found = [c for part, c in snapshot.items() if _matches(part, name)]
        if not found:
            failing.append(name)  # never reported: not known to be up
        failing += [c.part for c in found if not c.ok]
    return Readiness(not failing, tuple(failing),
                     {part: c.ok for part, c in sorted(snapshot.items())})
