"""Every log line, libraries' included, is one JSON object with secrets redacted and
phone numbers masked: a run with WeCom and DingTalk targets (one failing first, so
the HTTP client and the retry path both log) and an AMI link dropped mid-Originate."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from callcenter import logs
from callcenter.ami.client import AmiClient
from callcenter.errors import AmiConnectionLost
from callcenter.webhooks.dispatcher import WebhookDispatcher
from callcenter.webhooks.settings import WebhookTarget
from tests.fakeami import FakeAmi
from tests.unit.test_ami_client import running, settings
from tests.unit.test_webhooks import SECRET, Receiver, Route, make_settings, receiver, transition

__all__ = ["receiver"]  # the local HTTP receiver fixture

WECOM_KEY = "0a1b2c3d-wecom-robot-key"
DING_TOKEN = "d1ngt4lk-access-token-value"
NUMBER = "13800138000"


async def test_no_secret_or_number_reaches_the_output(receiver: Receiver,
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    logs.configure("DEBUG")
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    receiver.routes["/wecom"] = Route(fail_first=1)
    dispatcher = WebhookDispatcher(make_settings(
        WebhookTarget("wecom", "wecom", receiver.url(f"/wecom?key={WECOM_KEY}")),
        WebhookTarget("ding", "dingtalk", receiver.url(f"/ding?access_token={DING_TOKEN}"),
                      secret=SECRET)))
    dispatcher.start()
    try:
        dispatcher.submit(transition(message=f"回拨 {NUMBER} 失败"))
        for _ in range(200):
            if len(receiver.seen("/wecom")) >= 2 and receiver.seen("/ding"):
                break
            await asyncio.sleep(0.025)
    finally:
        await dispatcher.close()
    fake = FakeAmi(close_on_action="Originate")
    port = await fake.start()
    async with running(AmiClient(settings(port), on_message=lambda m: None)) as client:
        await client.wait_connected(3)
        with pytest.raises(AmiConnectionLost):
            await client.originate({"Channel": f"Local/{NUMBER}@testbed-customers/n",
                                    "Exten": "s", "Variable": f"CC_NUMBER={NUMBER}"}, timeout=5)
    await fake.stop()
    out, err = capfd.readouterr()
    text = out + err
    assert len(receiver.seen("/wecom")) == 2 and receiver.seen("/ding")  # it did run
    assert "HTTP Request" in text and "key=***" in text  # the HTTP client did log the URL
    assert "webhook" in text and "riginate" in text
    for secret in (WECOM_KEY, DING_TOKEN, SECRET, "s3cret", NUMBER):
        assert secret not in text, secret
    assert "sign=" not in text or "sign=***" in text
    for line in text.splitlines():  # one JSON object per line, nothing multi-line
        assert isinstance(json.loads(line), dict), line
