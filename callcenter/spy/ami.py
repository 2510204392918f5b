"""The AMI actions of listening in: Asterisk's live channels (to find the agent's), and
the Originate that rings the supervisor's phone, each field checked against its
grammar just before it is sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callcenter.ami.client import AmiClient, flatten
from callcenter.ami.grammar import check_originate
from callcenter.ami.translate import live_channels
from callcenter.domain.events import LiveChannel

# The Originate's reply comes once the supervisor answers or the ring gives up: the
# request does not wait for it (a person may take 30 s to pick up).
ACK_TIMEOUT_S = 5.0


async def channels(ami: AmiClient) -> tuple[LiveChannel, ...]:
    reply = await ami.action({"Action": "CoreShowChannels"}, as_list=True)
    return live_channels([flatten(msg) for msg in reply])


async def ring_supervisor(ami: AmiClient, fields: Mapping[str, str]) -> Any:
    """Send the Originate (checked first: AmiUnsafeValue if any field is out of
    grammar); returns once Asterisk has it, not when the phone is answered."""
    checked = check_originate(fields)
    return await ami.action({**checked, "Action": "Originate", "Async": "true"},
                            timeout=ACK_TIMEOUT_S)
