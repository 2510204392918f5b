"""The core's Prometheus registry, and the one kind of collector the features give it:
a `Live` family that reads its values when it is scraped (a counter the part keeps as
a plain int, a gauge from the live picture), so nothing is counted twice and the
event path pays nothing for metrics.

The registry is the core's own (never prometheus_client's global default one): two
daemons in one process (the tests) do not share figures, and only what the daemon
registers is exposed.  The ops feature serves it at `/metrics`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Literal

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

Labels = tuple[str, ...]
Read = Callable[[], Mapping[Labels, float]]


def new_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)  # CPU, memory, open files of the daemon (Linux /proc)
    return registry


def one(read: Callable[[], float]) -> Read:
    """A family without labels: one value."""
    return lambda: {(): float(read())}


class Live(Collector):
    """One metric family whose samples are read at scrape time.

    `read` returns the value per label tuple (in the order of `labels`); it runs in
    the scrape, on the event loop, so it may read the tracker.  A counter's name is
    given without `_total` (the exposition adds it)."""

    def __init__(self, name: str, documentation: str, kind: Literal["counter", "gauge"],
                 read: Read, labels: Sequence[str] = ()) -> None:
        self.name, self.documentation, self.kind = name, documentation, kind
        self.read, self.labels = read, list(labels)

    def _family(self) -> CounterMetricFamily | GaugeMetricFamily:
        if self.kind == "counter":
            return CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        return GaugeMetricFamily(self.name, self.documentation, labels=self.labels)

    def describe(self) -> Iterator[Metric]:
        yield self._family()  # names only: the registry refuses a second family of a name

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        for labels, value in self.read().items():
            family.add_metric(list(labels), float(value))
        yield family


def counter(name: str, documentation: str, read: Read, labels: Sequence[str] = ()) -> Live:
    return Live(name, documentation, "counter", read, labels)


def gauge(name: str, documentation: str, read: Read, labels: Sequence[str] = ()) -> Live:
    return Live(name, documentation, "gauge", read, labels)
