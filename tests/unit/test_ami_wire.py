"""Bytes on the AMI wire: each whole message is decoded once, so a character split
across two reads arrives whole, undecodable bytes are replaced visibly, messages run
together by a single CRLF are still two, and a broken message is skipped alone."""

from __future__ import annotations

from typing import Any

from callcenter.ami.client import RawMessage, _GuardedProtocol, _Manager

NAME = "王芳"
JOIN = ("Event: QueueCallerJoin\r\nQueue: support\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\n"
        f"CallerIDNum: 13800138000\r\nCallerIDName: {NAME}\r\nPosition: 1\r\n\r\n")


class _Transport:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def protocol() -> tuple[_GuardedProtocol, list[RawMessage]]:
    received: list[RawMessage] = []
    manager = _Manager(on_message=received.append, on_lost=lambda: None)
    proto = _GuardedProtocol()
    proto.connection_made(_Transport())
    proto.factory = manager
    proto.encoding = "utf8"
    proto.data_received(b"Asterisk Call Manager/9.0.0\r\n")
    return proto, received


def names(received: list[RawMessage]) -> list[Any]:
    return [m.get("CallerIDName") for m in received]


def test_a_character_split_at_every_offset_arrives_whole() -> None:
    data = JOIN.encode()
    for cut in range(1, len(data)):
        proto, received = protocol()
        proto.data_received(data[:cut])
        proto.data_received(data[cut:])
        assert names(received) == [NAME], cut


def test_undecodable_bytes_are_replaced_visibly_not_dropped() -> None:
    proto, received = protocol()
    proto.data_received(JOIN.encode().replace(NAME.encode(), b"\xff\xfe" + "芳".encode()))
    assert names(received) == ["\ufffd\ufffd芳"]


def test_messages_run_together_by_a_single_crlf_stay_two() -> None:
    proto, received = protocol()
    second = JOIN.replace("1.1", "2.2").replace(NAME, "李雷")
    proto.data_received((JOIN[:-2] + second).encode())  # one CRLF between them
    assert [(m["Uniqueid"], m["CallerIDName"]) for m in received] == [
        ("1.1", NAME), ("2.2", "李雷")]


def test_random_bytes_between_messages_are_skipped() -> None:
    proto, received = protocol()
    garbage = bytes(range(256)) * 3
    proto.data_received(JOIN.encode() + garbage + b"\r\n\r\n" + JOIN.replace("1.1", "3.3").encode())
    assert [m["Uniqueid"] for m in received] == ["1.1", "3.3"]
