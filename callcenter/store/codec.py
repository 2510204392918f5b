"""Outcomes as JSON lines for the journal: `{"t": "TicketOpened", ...fields}`.

JSON rather than pickle, so a journal written by one version of the daemon is still
read by the next (a field added with a default decodes; the file is readable by a
person with `jq`), and reading it back never runs code."""

from __future__ import annotations

import dataclasses
import enum
import json
import typing
from typing import Any

from callcenter.domain import outcomes as oc

KINDS: dict[str, type] = {kind.__name__: kind for kind in typing.get_args(oc.Outcome)}


def _field_plan(kind: type) -> tuple[tuple[str, Any], ...]:
    """Each field with what to rebuild it as: AgentRef, an enum class, or None (as is)."""
    hints = typing.get_type_hints(kind)
    plan: list[tuple[str, Any]] = []
    for field in dataclasses.fields(kind):
        hint = hints[field.name]
        if hint is oc.AgentRef or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
            plan.append((field.name, hint))
        else:
            plan.append((field.name, None))
    return tuple(plan)


_PLANS = {name: _field_plan(kind) for name, kind in KINDS.items()}


def encode(outcome: oc.Outcome) -> bytes:
    name = type(outcome).__name__
    record: dict[str, Any] = {"t": name}
    for field, rebuild in _PLANS[name]:
        value = getattr(outcome, field)
        if rebuild is oc.AgentRef:
            value = [value.interface, value.name]
        record[field] = value  # a StrEnum is already its string
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class UndecodableRecord(ValueError):
    """A journal record that is valid JSON on disk but no outcome this version knows."""


def decode(data: bytes) -> oc.Outcome:
    try:
        record = json.loads(data)
        name = record["t"]
        kind, plan = KINDS[name], _PLANS[name]
        values: dict[str, Any] = {}
        for field, rebuild in plan:
            if field not in record:
                continue  # written before the field existed: its default applies
            value = record[field]
            if rebuild is oc.AgentRef:
                value = oc.AgentRef(value[0], value[1])
            elif rebuild is not None:
                value = rebuild(value)
            values[field] = value
        outcome: oc.Outcome = kind(**values)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise UndecodableRecord(f"{type(exc).__name__}: {exc}") from exc
    return outcome
