"""panoramisk 1.4's known faults, each reproduced on bare panoramisk, and our
guard against it verified, with a fake AMI server injecting the fault."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from panoramisk import Manager

from callcenter.ami.client import AmiClient, AmiSettings, RawMessage
from callcenter.errors import AmiConnectionLost, AmiUnsafeValue
from tests.fakeami import FakeAmi, encode

THREE_EVENTS = b"".join(
    encode({"Event": "UserEvent", "UserEvent": name}) for name in ("poison", "second", "third"))


def settings(port: int, **kw: float | str) -> AmiSettings:
    base: dict[str, float | str] = dict(port=port, username="cc", secret="s3cret",
                                        ping_interval_s=0.3, ping_timeout_s=0.3,
                                        backoff_initial_s=0.05, backoff_max_s=0.5,
                                        action_timeout_s=2.0)
    base.update(kw)
    return AmiSettings(**base)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running(client: AmiClient) -> AsyncIterator[AmiClient]:
    task = asyncio.create_task(client.run())
    try:
        yield client
    finally:
        client.stop()
        await asyncio.wait_for(task, 5)


async def _eventually(check: object, timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_bare_panoramisk_drops_the_rest_of_a_chunk_when_a_callback_raises() -> None:
    fake = FakeAmi()
    port = await fake.start()
    seen: list[str] = []

    def callback(_manager: object, message: dict[str, str]) -> None:
        seen.append(message["UserEvent"])
        if message["UserEvent"] == "poison":
            raise RuntimeError("handler bug")

    manager = Manager(host="127.0.0.1", port=port, username="cc", secret="s3cret",
                      loop=asyncio.get_running_loop(), reconnect_timeout=60)
    manager.register_event("UserEvent", callback)
    await manager.connect()
    await _eventually(lambda: manager.authenticated)
    fake.push(THREE_EVENTS)
    await asyncio.sleep(0.3)
    manager.close()
    await fake.stop()
    assert seen == ["poison"]  # the fault: "second" and "third" are lost


async def test_a_raising_handler_loses_nothing_and_keeps_the_link() -> None:
    fake = FakeAmi()
    port = await fake.start()
    seen: list[str] = []

    def handler(message: RawMessage) -> None:
        if message.get("Event") == "UserEvent":
            seen.append(message["UserEvent"])
            if message["UserEvent"] == "poison":
                raise RuntimeError("handler bug")

    async with running(AmiClient(settings(port), on_message=handler)) as client:
        await client.wait_connected(3)
        fake.push(THREE_EVENTS)
        await _eventually(lambda: len(seen) == 3)
        assert client.connected and client.connections == 1
    await fake.stop()
    assert seen == ["poison", "second", "third"]


async def test_bare_panoramisk_originate_without_async_string_hangs() -> None:
    fake = FakeAmi()
    port = await fake.start()
    manager = Manager(host="127.0.0.1", port=port, username="cc", secret="s3cret",
                      loop=asyncio.get_running_loop(), reconnect_timeout=60)
    await manager.connect()
    await _eventually(lambda: manager.authenticated)
    future = manager.send_action({"Action": "Originate", "Channel": "Local/1@x"})
    with pytest.raises(TimeoutError):  # KeyError('async') inside; the future never resolves
        await asyncio.wait_for(future, 1.0)
    manager.close()
    await fake.stop()


async def test_originate_always_sends_async_and_resolves() -> None:
    fake = FakeAmi()
    port = await fake.start()
    async with running(AmiClient(settings(port), on_message=lambda m: None)) as client:
        await client.wait_connected(3)
        reply = await client.originate({"Channel": "Local/1@x", "Exten": "s"}, timeout=2)
    await fake.stop()
    sent = next(a for a in fake.actions if a["Action"] == "Originate")
    assert sent["Async"] == "true"
    assert [m.get("Event") or m.get("Response") for m in reply] == ["Success", "OriginateResponse"]


async def test_half_open_connection_is_noticed_by_our_ping() -> None:
    fake = FakeAmi()
    port = await fake.start()
    async with running(AmiClient(settings(port), on_message=lambda m: None)) as client:
        await client.wait_connected(3)
        fake.answer_pings = False  # the peer vanished: TCP stays open, nothing answers
        await _eventually(lambda: fake.logins >= 2, timeout=4)
        fake.answer_pings = True
        await _eventually(lambda: client.connected)
    await fake.stop()


async def test_action_in_flight_fails_on_drop_and_is_never_resent() -> None:
    fake = FakeAmi(close_on_action="Originate")
    port = await fake.start()
    async with running(AmiClient(settings(port), on_message=lambda m: None)) as client:
        await client.wait_connected(3)
        with pytest.raises(AmiConnectionLost):
            await client.originate({"Channel": "Local/1@x", "Exten": "s"}, timeout=5)
        await _eventually(lambda: fake.logins >= 2)
        await asyncio.sleep(0.5)  # FullyBooted came again: panoramisk would re-send here
    await fake.stop()
    assert sum(1 for a in fake.actions if a["Action"] == "Originate") == 1


async def test_cr_lf_in_a_value_is_refused_before_sending() -> None:
    fake = FakeAmi()
    port = await fake.start()
    async with running(AmiClient(settings(port), on_message=lambda m: None)) as client:
        await client.wait_connected(3)
        with pytest.raises(AmiUnsafeValue):
            await client.originate({"Channel": "Local/1@x", "CallerID": "x\r\nAction: Command"},
                                   timeout=2)
    await fake.stop()
    assert not [a for a in fake.actions if a.get("Action") in ("Originate", "Command")]


async def test_wrong_secret_waits_the_full_backoff_instead_of_hot_looping() -> None:
    fake = FakeAmi(secret="other")
    port = await fake.start()
    async with running(AmiClient(settings(port, backoff_max_s=1.0), on_message=lambda m: None)) \
            as client:
        await asyncio.sleep(1.6)
        assert not client.connected
    await fake.stop()
    assert 1 <= fake.logins <= 2


async def test_asterisk_down_then_up_reconnects_with_backoff() -> None:
    probe = FakeAmi()
    port = await probe.start()
    await probe.stop()  # nothing listens on the port now
    async with running(AmiClient(settings(port), on_message=lambda m: None)) as client:
        await asyncio.sleep(0.4)
        assert not client.connected
        fake = FakeAmi()
        await fake.start(port)
        await client.wait_connected(3)
        assert client.connections == 1
    await fake.stop()


async def test_resync_runs_on_every_connect() -> None:
    fake = FakeAmi(queue_status=[{"Event": "QueueParams", "Queue": "support"}])
    port = await fake.start()
    snapshots: list[int] = []
    client: AmiClient

    async def resync() -> None:
        reply = await client.action({"Action": "QueueStatus"}, as_list=True)
        snapshots.append(len(reply))

    client = AmiClient(settings(port), on_message=lambda m: None, on_connected=resync)
    async with running(client):
        await client.wait_connected(3)
        fake.answer_pings = False
        await _eventually(lambda: len(snapshots) >= 2, timeout=4)
    await fake.stop()
    assert snapshots[0] == 3  # start, QueueParams, complete
