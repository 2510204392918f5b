"""The `[webhooks]` section, and the typed targets built from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, cast
from zoneinfo import ZoneInfo

from callcenter.checks import non_negative, positive
from callcenter.config import setting
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


def _targets(value: Any) -> str | None:
    for item in value:
        if item.get("kind") not in ("wecom", "dingtalk", "json"):
            return f"kind {item.get('kind')!r} must be wecom, dingtalk or json"
        url = item.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return "url must be an http(s) URL"  # never echo it: it carries the token
        unknown = set(item) - {"kind", "url", "secret", "name"}
        if unknown:
            return f"unknown keys {sorted(unknown)} (known: kind, url, secret, name)"
    return None


@dataclass(frozen=True, slots=True)
class WebhooksSection:
    SECTION: ClassVar[str] = "webhooks"
    # Tables like {kind = "wecom", url = "https://..."}; secrets: keep the file private.
    targets: tuple[Mapping[str, str], ...] = setting((), _targets)
    max_per_minute: int = setting(20, positive)  # DingTalk robots accept 20 a minute
    retries: int = setting(5, non_negative)
    backoff_initial_s: float = setting(1.0, positive)
    backoff_max_s: float = setting(60.0, positive)
    timeout_s: float = setting(5.0, positive)
    queue_max: int = setting(1000, positive)

    def __repr__(self) -> str:
        return f"WebhooksSection(targets={len(self.targets)})"


def webhook_settings(section: WebhooksSection, tz: ZoneInfo) -> WebhookSettings:
    """Adds default names to the targets and refuses duplicates, since counters and
    logs go by name."""
    targets = []
    for index, item in enumerate(section.targets):
        kind = cast(TargetKind, item["kind"])
        targets.append(WebhookTarget(name=str(item.get("name") or f"{kind}-{index}"), kind=kind,
                                     url=str(item["url"]), secret=str(item.get("secret") or "")))
    names = [t.name for t in targets]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError("webhooks.targets", f"target names must be unique, repeated: {duplicates}")
    return WebhookSettings(
        targets=tuple(targets), max_per_minute=section.max_per_minute, retries=section.retries,
        backoff_initial_s=section.backoff_initial_s, backoff_max_s=section.backoff_max_s,
        timeout_s=section.timeout_s, queue_max=section.queue_max, timezone=tz)
