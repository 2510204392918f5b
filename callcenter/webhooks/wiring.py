"""Webhooks: every alert raised, escalated or cleared, to WeCom, DingTalk and JSON
receivers, each target on its own queue and task."""

from __future__ import annotations

from collections.abc import Sequence

from callcenter.core.core import Core
from callcenter.core.feature import Contribution
from callcenter.core.metrics import Live, counter
from callcenter.domain.alerts import AlertTransition
from callcenter.webhooks.dispatcher import WebhookDispatcher
from callcenter.webhooks.settings import WebhooksSection, webhook_settings


def collectors(dispatcher: WebhookDispatcher) -> list[Live]:
    def each(counts: dict[str, int]) -> dict[tuple[str, ...], float]:
        return {(name,): n for name, n in counts.items()}

    return [
        counter("callcenter_webhook_deliveries", "Alert messages a webhook target accepted",
                lambda: each(dispatcher.sent), ["target"]),
        counter("callcenter_webhook_failures", "Alert messages given up on after every retry",
                lambda: each(dispatcher.failed), ["target"]),
        counter("callcenter_webhook_dropped", "Alert messages dropped: the target's queue was full",
                lambda: each(dispatcher.dropped), ["target"]),
    ]


def wire(core: Core) -> Contribution:
    dispatcher = WebhookDispatcher(webhook_settings(core.config.get(WebhooksSection), core.tz))

    def submit(transitions: Sequence[AlertTransition]) -> None:
        if not core.leader.is_leader():
            return  # the leader's webhooks carry them (a standby's would repeat them)
        for t in transitions:
            dispatcher.submit(t)

    return Contribution(alert_listeners=[submit], on_start=[dispatcher.start],
                        on_stop=[dispatcher.close], collectors=collectors(dispatcher))
