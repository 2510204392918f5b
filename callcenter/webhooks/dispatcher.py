"""Sends alert transitions (and notices: a report's summary) to the configured webhooks.

One bounded queue and one worker task per target: a slow, failing or rate-limited
robot only ever delays its own messages, never another target or the event loop.
`submit` is synchronous and never blocks, so the alert code can call it from
anywhere in the loop without awaiting a network round trip.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

import httpx
import structlog

from callcenter.domain.alerts import NOTIFIED_CHANGES, AlertTransition
from callcenter.domain.notice import Notice
from callcenter.webhooks.payloads import (
    dingtalk_body,
    dingtalk_signed_url,
    json_body,
    notice_bodies,
    wecom_body,
)
from callcenter.webhooks.ratelimit import RateLimiter
from callcenter.webhooks.settings import WebhookSettings, WebhookTarget

log = structlog.get_logger("callcenter.webhooks")

Message = AlertTransition | Notice


def _about(t: Message) -> dict[str, object]:
    """What a log line says about a message (never a URL or secret)."""
    if isinstance(t, Notice):
        return {"notice": t.key, "kind": t.kind}
    return {"alert_id": t.alert_id, "kind": t.kind, "change": str(t.change)}


class WebhookDispatcher:
    def __init__(self, settings: WebhookSettings, *, client: httpx.AsyncClient | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if len({t.name for t in settings.targets}) != len(settings.targets):
            raise ValueError("webhook target names must be unique (queues and counters go by name)")
        self.settings = settings
        self._client = client
        self._owns_client = client is None
        self._clock = clock  # wall clock: DingTalk checks the signed timestamp against its own
        self._queues: dict[str, asyncio.Queue[Message]] = {
            t.name: asyncio.Queue(settings.queue_max) for t in settings.targets}
        # Monotonic, not the wall clock: an NTP step must not open or stall the window.
        self.limiters: dict[str, RateLimiter] = {
            t.name: RateLimiter(settings.max_per_minute, now=time.monotonic) for t in settings.targets}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closed = False
        self.sent: dict[str, int] = dict.fromkeys(self._queues, 0)
        self.failed: dict[str, int] = dict.fromkeys(self._queues, 0)
        self.dropped: dict[str, int] = dict.fromkeys(self._queues, 0)

    def start(self) -> None:
        """Start one worker per target (call from inside the running loop)."""
        if self._tasks or self._closed:
            return
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.settings.timeout_s)
        for target in self.settings.targets:
            self._tasks[target.name] = asyncio.create_task(
                self._worker(target, self._client), name=f"webhook:{target.name}")

    def submit(self, t: Message) -> None:
        """Queue a transition (or a notice) for every target; never blocks and never raises."""
        try:
            if self._closed or (isinstance(t, AlertTransition)
                                and t.change not in NOTIFIED_CHANGES):
                return
            for name, queue in self._queues.items():
                try:
                    queue.put_nowait(t)
                except asyncio.QueueFull:
                    # Dropping beats blocking the caller (the alert code) or growing without bound.
                    self.dropped[name] += 1
                    log.warning("webhook.queue_full", target=name, queue_max=queue.maxsize,
                                **_about(t))
        except Exception:  # a webhook problem must never break the alert code that called us
            log.exception("webhook.submit_failed", alert_id=getattr(t, "alert_id", None))

    async def join(self) -> None:
        """Wait until every queued transition was delivered or given up on (workers must run)."""
        await asyncio.gather(*(queue.join() for queue in self._queues.values()))

    async def close(self) -> None:
        """Stop the workers (abandoning what is queued or in flight) and close our client."""
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        for name, queue in self._queues.items():
            if queue.qsize():
                log.warning("webhook.undelivered_at_close", target=name, count=queue.qsize())
        if self._owns_client and self._client is not None:
            await self._client.aclose()
        self._client = None

    async def _worker(self, target: WebhookTarget, client: httpx.AsyncClient) -> None:
        queue = self._queues[target.name]
        while True:
            t = await queue.get()
            try:
                await self._deliver(target, client, t)
            except Exception:  # a bug in one message must not stop this target's worker
                self.failed[target.name] += 1
                log.exception("webhook.delivery_crashed", target=target.name, **_about(t))
            finally:
                queue.task_done()

    def _body(self, target: WebhookTarget, t: Message) -> dict[str, Any]:
        if isinstance(t, Notice):
            wecom, dingtalk, plain = notice_bodies(t)
            return wecom if target.kind == "wecom" else dingtalk if target.kind == "dingtalk" else plain
        if target.kind == "wecom":
            return wecom_body(t, self.settings.timezone)
        if target.kind == "dingtalk":
            return dingtalk_body(t, self.settings.timezone)
        return json_body(t)

    async def _deliver(self, target: WebhookTarget, client: httpx.AsyncClient, t: Message) -> None:
        body = self._body(target, t)
        limiter = self.limiters[target.name]
        backoff = self.settings.backoff_initial_s
        retries = self.settings.retries
        error = ""
        for attempt in range(retries + 1):
            # Retries count against the robot's limit too: it counts requests, not messages.
            # Only this worker records on this limiter, so one wait is enough; the small
            # margin covers the loop's timer waking a hair early.
            wait = limiter.delay_s()
            if wait > 0:
                await asyncio.sleep(wait + 0.05)
            limiter.record()
            error = await self._attempt(target, client, body)
            if not error:
                self.sent[target.name] += 1
                log.info("webhook.delivered", target=target.name, attempts=attempt + 1,
                         **_about(t))
                return
            if attempt < retries:
                delay = backoff * (1.0 + 0.1 * random.random())  # noqa: S311 - jitter, not crypto
                log.warning("webhook.attempt_failed", target=target.name, attempt=attempt + 1,
                            error=error, retry_in_s=round(delay, 3), **_about(t))
                await asyncio.sleep(delay)
                backoff = min(backoff * 2, self.settings.backoff_max_s)
        self.failed[target.name] += 1
        log.error("webhook.gave_up", target=target.name, attempts=retries + 1, error=error,
                  **_about(t))

    async def _attempt(self, target: WebhookTarget, client: httpx.AsyncClient, body: dict[str, Any]) -> str:
        """One POST; returns "" on success, else a description that is safe to log
        (no URL: it holds the robot's access token, and the signed one its signature)."""
        url = target.url
        if target.kind == "dingtalk" and target.secret:
            # Signed at each attempt: DingTalk rejects a timestamp older than an hour.
            url = dingtalk_signed_url(url, target.secret, int(self._clock() * 1000))
        try:
            response = await client.post(url, json=body, timeout=self.settings.timeout_s)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return type(exc).__name__  # str(exc) may quote the URL
        if response.status_code >= 400:
            return f"HTTP {response.status_code}"
        if target.kind == "json":
            return ""
        # WeCom and DingTalk answer HTTP 200 even when they refuse (bad key, bad
        # signature, rate limited): only errcode 0 means the message was posted.
        try:
            reply = response.json()
        except ValueError:
            return "reply is not JSON"
        errcode = reply.get("errcode") if isinstance(reply, dict) else None
        if errcode != 0:
            errmsg = str(reply.get("errmsg", ""))[:200] if isinstance(reply, dict) else ""
            return f"errcode {errcode}: {errmsg}"
        return ""
