"""What a feature is: its settings sections, the one function that wires it from the
core, and its CLI commands.  `wire(core)` returns a `Contribution`; the daemon runs
the contributions of every feature in `callcenter.features.FEATURES` and knows
nothing else about them (wazo-calld's plugin `load(dependencies)`, in one type).

A feature names its wiring and CLI modules by dotted path, like an entry point: the
settings loader and the CLI import a feature's declaration (its `__init__`, its
`settings.py`) without the AMI library, the web server or the HTTP client."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from callcenter.core.health import Condition
from callcenter.domain.alerts import AlertTransition
from callcenter.domain.leadership import LeaderChange
from callcenter.domain.outcomes import Outcome
from callcenter.domain.ratings_today import RatingChanged
from callcenter.domain.surge import SurgeState
from callcenter.store.writer import SetAsideNote

if TYPE_CHECKING:
    from fastapi import APIRouter
    from prometheus_client.registry import Collector

    from callcenter.cli.context import CliContext
    from callcenter.core.core import Core


class AmiHandler(Protocol):
    """Part of the AMI stream: which messages it wants (checked before they are copied
    out of panoramisk), what it does with them (synchronously, never raising), and
    what it re-reads from Asterisk on every (re)connect."""

    def wants(self, name: str, uniqueid: str) -> bool: ...

    def on_message(self, raw: Mapping[str, str]) -> None: ...

    async def on_connected(self) -> None: ...


@dataclass(frozen=True)
class Job:
    """Scheduled work, run every `interval_s` (never two at once, late runs coalesced).
    Only the leader runs it (see core.leader), unless it is `everywhere`: work about
    this daemon itself (its status file), with no effect on the center."""

    name: str
    interval_s: float
    run: Callable[[], Awaitable[object]]
    everywhere: bool = False


@dataclass(frozen=True)
class Contribution:
    outcome_sinks: Sequence[Callable[[Sequence[Outcome]], None]] = ()
    alert_listeners: Sequence[Callable[[Sequence[AlertTransition]], None]] = ()
    surge_listeners: Sequence[Callable[[Sequence[SurgeState]], None]] = ()
    set_aside_listeners: Sequence[Callable[[Sequence[SetAsideNote]], None]] = ()
    health_listeners: Sequence[Callable[[Sequence[Condition]], None]] = ()
    rating_listeners: Sequence[Callable[[Sequence[RatingChanged]], None]] = ()
    # Leadership begun or ended (standby mode only: alone, a daemon always leads).
    leader_listeners: Sequence[Callable[[Sequence[LeaderChange]], None]] = ()
    # Handlers of every server's messages (their on_connected: the first server's).
    ami_handlers: Sequence[AmiHandler] = ()
    # Handlers of one Asterisk server each, by its name (e.g. an inbound stream into
    # that server's own tracker): they hear that server's messages and reconnects only.
    server_handlers: Mapping[str, Sequence[AmiHandler]] = field(default_factory=dict)
    jobs: Sequence[Job] = ()
    routers: Sequence[APIRouter] = ()
    # Prometheus collectors (callcenter.core.metrics.Live), read at scrape time.
    collectors: Sequence[Collector] = ()
    # Long-running tasks: one that ends or fails ends the daemon.
    tasks: Sequence[Callable[[], Coroutine[Any, Any, None]]] = ()
    # Called once the loop runs, before the AMI link starts.
    on_start: Sequence[Callable[[], None]] = ()
    # At shutdown, features in reverse order: stop what they started.
    on_stop: Sequence[Callable[[], Awaitable[None]]] = ()


@dataclass(frozen=True)
class Command:
    """One `callcenter NAME ...` command: its arguments, and what it returns (rows or
    an object, printed as a table or with --json)."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, CliContext], Any]
    # False: works without the database (`status` must, above all when it is down).
    needs_database: bool = True


Wire = Callable[["Core"], Contribution]


@dataclass(frozen=True)
class Feature:
    name: str
    sections: tuple[type, ...] = ()
    wiring: str | Wire | None = None  # module with `wire(core)`, or the function itself
    cli: str | None = None  # module with `COMMANDS: tuple[Command, ...]`

    def wire(self) -> Wire | None:
        if self.wiring is None or callable(self.wiring):
            return self.wiring
        wire: Wire = importlib.import_module(self.wiring).wire
        return wire

    def commands(self) -> tuple[Command, ...]:
        if self.cli is None:
            return ()
        commands: tuple[Command, ...] = importlib.import_module(self.cli).COMMANDS
        return commands
