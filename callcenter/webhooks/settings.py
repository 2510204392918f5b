"""The `[webhooks]` config section as typed, frozen settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast
from zoneinfo import ZoneInfo

from callcenter.config import Config
from callcenter.errors import ConfigError

TargetKind = Literal["wecom", "dingtalk", "json"]


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    name: str
    kind: TargetKind
    url: str
    secret: str = ""  # DingTalk signing secret ("SEC..."); never logged

    def __repr__(self) -> str:
        # The URL carries the robot's access token and the secret signs for it: a
        # dataclass repr in a traceback or log line would leak both.
        return f"WebhookTarget(name={self.name!r}, kind={self.kind!r})"


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    targets: tuple[WebhookTarget, ...]
    max_per_minute: int
    retries: int
    backoff_initial_s: float
    backoff_max_s: float
    timeout_s: float
    queue_max: int
    timezone: ZoneInfo


def webhook_settings(config: Config) -> WebhookSettings:
    """Targets are already validated by the config loader (kind, url, known keys);
    this adds default names and refuses duplicates, since counters and logs go by name."""
    section = config.webhooks
    targets = []
    for index, item in enumerate(section["targets"]):
        kind = cast(TargetKind, item["kind"])
        targets.append(WebhookTarget(name=str(item.get("name") or f"{kind}-{index}"), kind=kind,
                                     url=str(item["url"]), secret=str(item.get("secret") or "")))
    names = [t.name for t in targets]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError("webhooks.targets", f"target names must be unique, repeated: {duplicates}")
    return WebhookSettings(
        targets=tuple(targets),
        max_per_minute=int(section["max_per_minute"]),
        retries=int(section["retries"]),
        backoff_initial_s=float(section["backoff_initial_s"]),
        backoff_max_s=float(section["backoff_max_s"]),
        timeout_s=float(section["timeout_s"]),
        queue_max=int(section["queue_max"]),
        timezone=config.timezone,
    )
