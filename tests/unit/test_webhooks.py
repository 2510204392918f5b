"""Alert webhooks against a real HTTP receiver on 127.0.0.1 (a threaded http.server)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit
from zoneinfo import ZoneInfo

import pytest
import structlog

from callcenter.config import load
from callcenter.core.settings import CenterSettings
from callcenter.domain.alerts import AlertChange, AlertTransition
from callcenter.errors import ConfigError
from callcenter.webhooks.dispatcher import WebhookDispatcher
from callcenter.webhooks.payloads import (
    dingtalk_body,
    dingtalk_sign,
    dingtalk_signed_url,
    json_body,
    wecom_body,
)
from callcenter.webhooks.ratelimit import RateLimiter
from callcenter.webhooks.settings import (
    WebhookSettings,
    WebhooksSection,
    WebhookTarget,
    webhook_settings,
)

Make = Callable[[WebhookSettings], WebhookDispatcher]
SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2024, 5, 6, 1, 30, tzinfo=UTC).timestamp()  # 09:30 in Shanghai
SECRET = "SECd3adb33f0123456789abcdef"
MESSAGE = "一级高峰: 排队 9 人已持续 30 分钟 (level 1: callbacks paused)"


# --- the receiver ------------------------------------------------------------------------

@dataclass
class Route:
    fail_first: int = 0  # answer the first N requests with fail_status / fail_reply
    fail_status: int = 500
    fail_reply: dict[str, Any] = field(default_factory=lambda: {"errcode": -1, "errmsg": "system busy"})
    sleep_s: float = 0.0  # before answering
    reply: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    count: int = 0


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic() on arrival


class Receiver:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        handler = type("Handler", (_Handler,), {"receiver": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.block_on_close = False  # a sleeping handler must not hold up teardown
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def seen(self, path: str) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def bodies(self, path: str) -> list[Any]:
        """The JSON bodies posted to `path`, in order."""
        return [r.body for r in self.seen(path)]

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self) -> None:
        rx = self.receiver
        split = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with rx.lock:
            rx.requests.append(Seen("POST", split.path, parse_qs(split.query), dict(self.headers),
                                    json.loads(raw), time.monotonic()))
            route = rx.routes.setdefault(split.path, Route())
            route.count += 1
            failing = route.count <= route.fail_first
        if route.sleep_s:
            rx.stopping.wait(route.sleep_s)
        status, reply = (route.fail_status, route.fail_reply) if failing else (200, route.reply)
        data = json.dumps(reply).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout, close()): nothing to answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)  # 127.0.0.1 must be reached directly
    rx = Receiver()
    yield rx
    rx.close()


# --- helpers -----------------------------------------------------------------------------

def make_settings(*targets: WebhookTarget, **overrides: Any) -> WebhookSettings:
    values: dict[str, Any] = {"targets": targets, "max_per_minute": 20, "retries": 5,
                              "backoff_initial_s": 0.01, "backoff_max_s": 0.05, "timeout_s": 5.0,
                              "queue_max": 100, "timezone": SHANGHAI}
    values.update(overrides)
    return WebhookSettings(**values)


def transition(change: AlertChange = AlertChange.RAISED, **overrides: Any) -> AlertTransition:
    values: dict[str, Any] = {"alert_id": 17, "kind": "surge_level_1", "level": "critical",
                              "change": change, "message": MESSAGE, "at": AT, "ref": "queue:support"}
    values.update(overrides)
    return AlertTransition(**values)


@pytest.fixture
async def dispatchers() -> AsyncIterator[Make]:
    """Started dispatchers, closed at teardown even when a test fails."""
    made: list[WebhookDispatcher] = []

    def make(settings: WebhookSettings) -> WebhookDispatcher:
        dispatcher = WebhookDispatcher(settings)
        dispatcher.start()
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        await dispatcher.close()


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


async def worst_loop_lag(duration_s: float) -> float:
    """How late 10 ms sleeps wake up, at worst, over the duration."""
    worst = 0.0
    end = time.perf_counter() + duration_s
    while time.perf_counter() < end:
        start = time.perf_counter()
        await asyncio.sleep(0.01)
        worst = max(worst, time.perf_counter() - start - 0.01)
    return worst


# --- payloads (pure) ---------------------------------------------------------------------

def test_wecom_and_dingtalk_bodies_read_in_local_time() -> None:
    wecom = wecom_body(transition(AlertChange.CLEARED), SHANGHAI)
    assert wecom["msgtype"] == "markdown"
    content = wecom["markdown"]["content"]
    for part in ("已解除", "严重", "一级高峰（surge_level_1）", MESSAGE, "2024-05-06 09:30:00", "#17",
                 "queue:support"):
        assert part in content
    assert '<font color="info">' in content  # cleared reads green
    ding = dingtalk_body(transition(AlertChange.ESCALATED, level="warning"), SHANGHAI)
    assert ding["msgtype"] == "markdown"
    assert ding["markdown"]["title"] == "【警告】告警已升级：一级高峰"
    assert "2024-05-06 09:30:00" in ding["markdown"]["text"]
    assert MESSAGE in ding["markdown"]["text"]


def test_long_message_is_clipped_under_wecom_limit() -> None:
    body = wecom_body(transition(message="排队" * 5000), SHANGHAI)
    assert len(body["markdown"]["content"].encode("utf-8")) <= 4096
    assert body["markdown"]["content"].endswith("…")


def test_dingtalk_signed_url_matches_the_documented_algorithm() -> None:
    ts = 1_714_959_000_123
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert dingtalk_sign(SECRET, ts) == expected
    signed = dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc", SECRET, ts)
    assert signed.startswith(f"https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp={ts}&sign=")
    sign_param = signed.rsplit("&sign=", 1)[1]
    assert unquote_plus(sign_param) == expected
    assert not set(sign_param) & set("+/=")  # base64's specials are percent-encoded
    assert dingtalk_signed_url("https://example.test/hook", SECRET, ts).startswith(
        f"https://example.test/hook?timestamp={ts}&sign=")


def test_json_body_carries_every_field() -> None:
    body = json_body(transition(AlertChange.ESCALATED))
    assert body == {"alert_id": 17, "kind": "surge_level_1", "level": "critical", "change": "escalated",
                    "message": MESSAGE, "message_en": "", "at": AT, "ref": "queue:support",
                    "at_iso": "2024-05-06T01:30:00+00:00"}
    json.dumps(body)  # plain JSON types only


# --- settings ----------------------------------------------------------------------------

def test_settings_from_config_name_targets_and_refuse_duplicates() -> None:
    base = load(None, environ={})
    tz = base.get(CenterSettings).tz
    section = dataclasses.replace(base.get(WebhooksSection), targets=(
        {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
        {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
         "secret": SECRET, "name": "supervisors"}))
    settings = webhook_settings(section, tz)
    assert [(t.name, t.kind, t.secret) for t in settings.targets] == [
        ("wecom-0", "wecom", ""), ("supervisors", "dingtalk", SECRET)]
    assert settings.max_per_minute == 20
    assert settings.retries == 5
    assert settings.timezone == tz
    assert SECRET not in repr(settings) and "access_token" not in repr(settings)
    twice = dataclasses.replace(base.get(WebhooksSection), targets=(
        {"kind": "json", "url": "http://a.test/", "name": "x"},
        {"kind": "json", "url": "http://b.test/", "name": "x"}))
    with pytest.raises(ConfigError, match="unique"):
        webhook_settings(twice, tz)


# --- rate limit --------------------------------------------------------------------------

def test_rate_limiter_allows_at_most_n_in_any_window() -> None:
    now = [1000.0]
    limiter = RateLimiter(3, now=lambda: now[0])
    for _ in range(3):
        assert limiter.delay_s() == 0.0
        limiter.record()
        now[0] += 10.0  # sends at 1000, 1010, 1020
    assert limiter.delay_s() == pytest.approx(30.0)  # until the 1000 send leaves the window
    now[0] = 1059.9
    assert limiter.delay_s() == pytest.approx(0.1)
    now[0] = 1060.0
    assert limiter.delay_s() == 0.0
    limiter.record()
    assert limiter.delay_s() == pytest.approx(10.0)  # 1010 is now the oldest
    now[0] = 500.0  # the clock stepped backwards: never wait more than one window
    assert 0.0 < limiter.delay_s() <= 60.0


async def test_rate_limit_holds_back_the_third_send(
        receiver: Receiver, dispatchers: Make) -> None:
    d = dispatchers(make_settings(WebhookTarget("j", "json", receiver.url("/j")), max_per_minute=2))
    for alert_id in (1, 2, 3):
        d.submit(transition(alert_id=alert_id))
    await until(lambda: d.sent["j"] == 2)
    await asyncio.sleep(0.3)
    assert len(receiver.seen("/j")) == 2
    assert [r.body["alert_id"] for r in receiver.seen("/j")] == [1, 2]
    assert d.limiters["j"].delay_s() > 55.0
    started = time.monotonic()
    await d.close()  # the worker waiting on the limit is cancelled at once
    assert time.monotonic() - started < 0.5
    assert d.sent["j"] == 2


# --- delivery ----------------------------------------------------------------------------

async def test_wecom_delivery(receiver: Receiver,
                              dispatchers: Make) -> None:
    d = dispatchers(make_settings(WebhookTarget("wx", "wecom", receiver.url("/cgi-bin/webhook/send?key=K"))))
    with structlog.testing.capture_logs() as logs:
        d.submit(transition())
        await asyncio.wait_for(d.join(), 5)
    [seen] = receiver.seen("/cgi-bin/webhook/send")
    assert seen.method == "POST"
    assert seen.query == {"key": ["K"]}
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.body["msgtype"] == "markdown"
    assert set(seen.body["markdown"]) == {"content"}
    assert "已触发" in seen.body["markdown"]["content"]
    assert MESSAGE in seen.body["markdown"]["content"]
    assert (d.sent, d.failed) == ({"wx": 1}, {"wx": 0})
    [delivered] = [e for e in logs if e["event"] == "webhook.delivered"]
    assert delivered["log_level"] == "info"
    assert (delivered["alert_id"], delivered["target"], delivered["change"]) == (17, "wx", "raised")


async def test_dingtalk_delivery_is_signed(receiver: Receiver,
                                           dispatchers: Make) -> None:
    d = dispatchers(make_settings(WebhookTarget("dd", "dingtalk", receiver.url("/robot/send?access_token=T"),
                                                secret=SECRET)))
    d.submit(transition(AlertChange.ESCALATED))
    await asyncio.wait_for(d.join(), 5)
    [seen] = receiver.seen("/robot/send")
    assert seen.query["access_token"] == ["T"]
    timestamp = seen.query["timestamp"][0]
    assert abs(int(timestamp) - time.time() * 1000) < 5000
    # What DingTalk's server does: recompute the HMAC from the timestamp and the shared secret.
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(seen.query["sign"][0], expected)  # parse_qs undid the URL-encoding
    assert seen.body["msgtype"] == "markdown"
    assert "已升级" in seen.body["markdown"]["title"]
    assert MESSAGE in seen.body["markdown"]["text"]
    assert d.sent == {"dd": 1}


async def test_json_delivery(receiver: Receiver,
                             dispatchers: Make) -> None:
    receiver.routes["/hook"] = Route(reply={})  # a plain receiver has no errcode; HTTP 200 is enough
    d = dispatchers(make_settings(WebhookTarget("j", "json", receiver.url("/hook"))))
    d.submit(transition(AlertChange.CLEARED, level="warning"))
    await asyncio.wait_for(d.join(), 5)
    [seen] = receiver.seen("/hook")
    assert seen.body == {"alert_id": 17, "kind": "surge_level_1", "level": "warning", "change": "cleared",
                         "message": MESSAGE, "message_en": "", "at": AT,
                         "ref": "queue:support", "at_iso": "2024-05-06T01:30:00+00:00"}
    assert d.sent == {"j": 1}


async def test_one_message_per_notified_transition_per_target(
        receiver: Receiver, dispatchers: Make) -> None:
    d = dispatchers(make_settings(WebhookTarget("wx", "wecom", receiver.url("/wx")),
                                  WebhookTarget("dd", "dingtalk", receiver.url("/dd"), secret=SECRET),
                                  WebhookTarget("j", "json", receiver.url("/j"))))
    for change in (AlertChange.RAISED, AlertChange.ESCALATED, AlertChange.ACKNOWLEDGED, AlertChange.CLEARED):
        d.submit(transition(change))
    await asyncio.wait_for(d.join(), 5)
    await asyncio.sleep(0.1)  # nothing more is on its way
    for path in ("/wx", "/dd", "/j"):
        assert len(receiver.seen(path)) == 3
    assert [r.body["change"] for r in receiver.seen("/j")] == ["raised", "escalated", "cleared"]
    assert d.sent == {"wx": 3, "dd": 3, "j": 3}
    assert d.failed == {"wx": 0, "dd": 0, "j": 0}


async def test_acknowledged_alone_sends_nothing(
        receiver: Receiver, dispatchers: Make) -> None:
    d = dispatchers(make_settings(WebhookTarget("j", "json", receiver.url("/j"))))
    d.submit(transition(AlertChange.ACKNOWLEDGED))
    await asyncio.sleep(0.2)
    assert receiver.seen("/j") == []
    assert d.sent == {"j": 0}


async def test_retried_after_http_500(receiver: Receiver,
                                      dispatchers: Make) -> None:
    receiver.routes["/wx"] = Route(fail_first=2)
    d = dispatchers(make_settings(WebhookTarget("wx", "wecom", receiver.url("/wx"))))
    with structlog.testing.capture_logs() as logs:
        d.submit(transition())
        await asyncio.wait_for(d.join(), 5)
    assert len(receiver.seen("/wx")) == 3
    assert all(r.body == receiver.seen("/wx")[0].body for r in receiver.seen("/wx"))
    assert (d.sent, d.failed) == ({"wx": 1}, {"wx": 0})
    assert [e["error"] for e in logs if e["event"] == "webhook.attempt_failed"] == ["HTTP 500", "HTTP 500"]
    assert [e["attempts"] for e in logs if e["event"] == "webhook.delivered"] == [3]


async def test_errcode_is_a_failure_and_retried(
        receiver: Receiver, dispatchers: Make) -> None:
    # DingTalk's "send too fast" answer comes with HTTP 200.
    receiver.routes["/dd"] = Route(fail_first=1, fail_status=200,
                                   fail_reply={"errcode": 130101, "errmsg": "send too fast"})
    d = dispatchers(make_settings(WebhookTarget("dd", "dingtalk", receiver.url("/dd"), secret=SECRET)))
    with structlog.testing.capture_logs() as logs:
        d.submit(transition())
        await asyncio.wait_for(d.join(), 5)
    seen = receiver.seen("/dd")
    assert len(seen) == 2
    assert seen[0].query["sign"] and seen[1].query["sign"]  # each attempt signed afresh
    assert (d.sent, d.failed) == ({"dd": 1}, {"dd": 0})
    assert [e["error"] for e in logs if e["event"] == "webhook.attempt_failed"] == [
        "errcode 130101: send too fast"]


async def test_gives_up_after_retries_then_moves_on_without_leaking_secrets(
        receiver: Receiver, dispatchers: Make) -> None:
    receiver.routes["/dd"] = Route(fail_first=3)
    url = receiver.url("/dd?access_token=TOKEN123")
    d = dispatchers(make_settings(WebhookTarget("dd", "dingtalk", url, secret=SECRET), retries=2))
    with structlog.testing.capture_logs() as logs:
        d.submit(transition(alert_id=1))
        d.submit(transition(alert_id=2))
        await asyncio.wait_for(d.join(), 5)
    assert [r.body["markdown"]["text"].count("#1") for r in receiver.seen("/dd")][:3] == [1, 1, 1]
    assert len(receiver.seen("/dd")) == 4  # three tries for alert 1, then alert 2 goes through
    assert (d.sent, d.failed) == ({"dd": 1}, {"dd": 1})
    [gave_up] = [e for e in logs if e["event"] == "webhook.gave_up"]
    assert gave_up["log_level"] == "error"
    assert {k: gave_up[k] for k in ("alert_id", "target", "kind", "change", "attempts")} == {
        "alert_id": 1, "target": "dd", "kind": "surge_level_1", "change": "raised", "attempts": 3}
    text = repr(logs)
    assert SECRET not in text and "TOKEN123" not in text and "sign=" not in text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_target_is_a_failure(dispatchers: Make) -> None:
    d = dispatchers(make_settings(WebhookTarget("j", "json", f"http://127.0.0.1:{free_port()}/x"), retries=1))
    with structlog.testing.capture_logs() as logs:
        d.submit(transition())
        await asyncio.wait_for(d.join(), 5)
    assert (d.sent, d.failed) == ({"j": 0}, {"j": 1})
    assert [e["error"] for e in logs if e["event"] == "webhook.gave_up"] == ["ConnectError"]


def test_submit_never_blocks_and_drops_when_full() -> None:
    d = WebhookDispatcher(make_settings(WebhookTarget("j", "json", "http://127.0.0.1:9/x"), queue_max=2))
    with structlog.testing.capture_logs() as logs:
        for alert_id in range(5):  # not started: nothing drains the queue
            d.submit(transition(alert_id=alert_id))
        d.submit(transition(AlertChange.ACKNOWLEDGED))  # ignored, not counted as dropped
    assert d.dropped == {"j": 3}
    assert [e["alert_id"] for e in logs if e["event"] == "webhook.queue_full"] == [2, 3, 4]


# --- isolation and shutdown --------------------------------------------------------------

async def test_slow_target_blocks_neither_loop_nor_other_target(
        receiver: Receiver, dispatchers: Make) -> None:
    receiver.routes["/slow"] = Route(sleep_s=2.0)
    d = dispatchers(make_settings(WebhookTarget("slow", "json", receiver.url("/slow")),
                                  WebhookTarget("fast", "json", receiver.url("/fast"))))
    submitted = time.monotonic()
    d.submit(transition())
    lag = await worst_loop_lag(0.8)
    assert lag < 0.1
    assert len(receiver.seen("/slow")) == 1  # in flight: arrived, not yet answered
    assert d.sent == {"slow": 0, "fast": 1}
    [fast] = receiver.seen("/fast")
    assert fast.at - submitted < 0.5
    await until(lambda: d.sent["slow"] == 1)
    assert time.monotonic() - submitted >= 2.0


async def test_close_during_send_is_prompt_and_leaves_no_tasks(receiver: Receiver) -> None:
    receiver.routes["/slow"] = Route(sleep_s=2.0)
    d = WebhookDispatcher(make_settings(WebhookTarget("slow", "json", receiver.url("/slow"))))
    d.start()
    d.submit(transition())
    await until(lambda: len(receiver.seen("/slow")) == 1)
    started = time.monotonic()
    await d.close()
    assert time.monotonic() - started < 0.5
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    assert d.sent == {"slow": 0}
    d.submit(transition())  # after close: ignored, not raised
    assert d.dropped == {"slow": 0}


def test_chat_bodies_carry_the_chinese_words_then_the_english_ones() -> None:
    t = transition(message="系统故障，请报告系统管理员", message_en="AMI down (connection refused)")
    content = wecom_body(t, SHANGHAI)["markdown"]["content"]
    assert content.endswith("系统故障，请报告系统管理员\nAMI down (connection refused)")
    text = dingtalk_body(t, SHANGHAI)["markdown"]["text"]
    assert text.endswith("系统故障，请报告系统管理员\n\nAMI down (connection refused)")
    assert json_body(t)["message_en"] == "AMI down (connection refused)"
