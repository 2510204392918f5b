"""Listening to an agent's call (监听), whispering to the agent (耳语) and barging in
(强插): which of the call's channels is the agent's, and the Originate that rings the
supervisor's own phone into ChanSpy on it (pure).

The call is the tracker's (the agent's current call); the channel's name is Asterisk's
own (CoreShowChannels: the channel of that call whose name is the agent's device);
nothing of it comes from the request but the agent and the mode."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from callcenter.domain.events import LiveChannel


class SpyMode(enum.Enum):
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


# ChanSpy's options: q (no beep, no channel name spoken), w (whisper: the agent alone
# hears the supervisor), B (barge: both sides hear them), E (end when the agent's
# channel hangs up).
OPTIONS = {SpyMode.LISTEN: "qE", SpyMode.WHISPER: "qwE", SpyMode.BARGE: "qBE"}


def device_of(interface: str) -> str:
    """The device part of a member interface, as the agent's channel names start:
    PJSIP/1001 -> PJSIP/1001; Local/1001@agents/n -> Local/1001@agents (a Local
    channel's dial options are no part of its name)."""
    tech, _, rest = interface.partition("/")
    return f"{tech}/{rest.split('/', 1)[0]}"


def agent_leg(channels: Iterable[LiveChannel], linkedid: str, interface: str) -> str | None:
    """The name of the agent's channel on the call `linkedid`: its device's channel
    (of a Local channel, the half app_queue dialled, ;1), or None."""
    prefix = device_of(interface) + "-"
    found = sorted(c.channel for c in channels
                   if c.linkedid == linkedid and c.channel.startswith(prefix)
                   and not c.channel.endswith(";2"))
    return found[0] if found else None


def spy_fields(*, phone: str, context: str, channel: str, mode: SpyMode, channel_id: str,
               caller_id: str, ring_timeout_s: float) -> dict[str, str]:
    """The Originate (AmiClient.originate adds Action and Async): the supervisor's phone
    rings; answered, it runs ChanSpy on the agent's channel in the dialplan's context."""
    fields = {"Channel": phone, "Context": context, "Exten": "s", "Priority": "1",
              "Variable": f"CC_SPY_CHANNEL={channel},CC_SPY_OPTS={OPTIONS[mode]}",
              "ChannelId": channel_id, "Timeout": str(int(ring_timeout_s * 1000))}
    if caller_id:
        fields["CallerID"] = caller_id
    return fields
