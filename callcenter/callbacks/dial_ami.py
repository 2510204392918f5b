"""What the callback dialer asks one Asterisk server about its attempts (a channel's
queue member, the live channels) and how it reads the replies, an Originate's among
them: always through the typed boundary (callcenter/ami/translate.py), never by
field names of its own.  The dialer (callcenter/callbacks/dialer.py) decides what a
failed request means.
"""

from __future__ import annotations

from typing import Any

import structlog

from callcenter.ami.client import AmiClient, flatten
from callcenter.ami.translate import (
    MEMBER_VARIABLE,
    live_channels,
    member_of_channel,
    translate_callback,
)
from callcenter.domain import attempts as at
from callcenter.domain import events as ev
from callcenter.domain.phone import mask
from callcenter.errors import MalformedEvent

log = structlog.get_logger("callcenter.dialer")


def attempt_log(ref: at.AttemptRef) -> Any:
    """The dialer's log, bound to an attempt's ids (its number masked)."""
    return log.bind(attempt=ref.attempt_id, campaign=ref.campaign_id, uniqueid=ref.uniqueid,
                    phone=mask(ref.phone), server=ref.server)


def originate_response(ref: at.AttemptRef, reply: Any) -> ev.OriginateResponded:
    """The OriginateResponse among an Originate's reply (AmiClient.originate's)."""
    response: ev.OriginateResponded | None = None
    for msg in reply:
        try:
            event = translate_callback(flatten(msg))
        except MalformedEvent as exc:
            attempt_log(ref).warning("ami.malformed_event", error_id=exc.error_id,
                                     detail=str(exc))
            continue
        if isinstance(event, ev.OriginateResponded):
            response = event
    if response is None:  # no usable OriginateResponse: it failed, as far as we know
        response = ev.OriginateResponded(ref.action_id, ref.uniqueid, at.REASON_FAILED, "")
    return response


async def member_of(ami: AmiClient, ref: at.AttemptRef) -> ev.MemberOfChannel | None:
    """Which member took the attempt's call: the channel says (we named it: its
    ChannelId is its Uniqueid, which Getvar accepts).  Raises an AmiError (a
    MalformedEvent for a reply it cannot read)."""
    reply = await ami.action({"Action": "Getvar", "Channel": ref.uniqueid,
                              "Variable": MEMBER_VARIABLE})
    return member_of_channel(ref.uniqueid, flatten(reply))


async def channels_live(ami: AmiClient) -> tuple[ev.LiveChannel, ...]:
    """The server's live channels (CoreShowChannels)."""
    reply = await ami.action({"Action": "CoreShowChannels"}, as_list=True)
    # A malformed entry raises (an AmiError): the session is retried, rather than
    # an attempt whose entry we could not read being taken for vanished.
    return live_channels([flatten(msg) for msg in reply])
