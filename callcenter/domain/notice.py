"""A message for people that is no alert (a daily or monthly report's summary): a
title, a few lines and a link, and the figures for receivers of our own (JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str  # e.g. report.daily_close
    key: str  # what it is about, once (e.g. daily:2026-10-31)
    title: str
    lines: tuple[str, ...]
    link: str
    at: float
    figures: dict[str, Any] = field(default_factory=dict)
