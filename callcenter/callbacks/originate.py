"""The Originate action of a callback attempt, built from the settings alone: the dialer
sends it, and the test bed's recorder (callcenter/testbed/record_callbacks.py) builds
the very same one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from callcenter.ami.grammar import is_recording_path
from callcenter.callbacks.settings import CallbackSettings
from callcenter.domain import attempts as at


@dataclass(frozen=True, slots=True)
class OriginateSpec:
    """What an Originate needs from the settings; the test bed's recorder builds one too."""

    channel_template: str
    customer_first_context: str
    agent_first_context: str
    callback_queue: str
    caller_id: str
    ring_timeout_s: float
    # The call's Linkedid -> the file Asterisk records it to, without extension (the
    # recordings' [recordings] dir as Asterisk sees it); None: app_queue's default name.
    recording: Callable[[str], str | None] | None = field(default=None, compare=False)

    @classmethod
    def of(cls, s: CallbackSettings,
           recording: Callable[[str], str | None] | None = None) -> OriginateSpec:
        return cls(s.channel_template, s.customer_first_context, s.agent_first_context,
                   s.callback_queue, s.caller_id, s.policy.ring_timeout_s, recording)


def originate_fields(spec: OriginateSpec, ref: at.AttemptRef,
                     agent_interface: str | None) -> dict[str, str]:
    """The Originate action of an attempt (AmiClient.originate adds Action and Async)."""
    customer = spec.channel_template.format(number=ref.phone)
    variables = [f"CC_ATTEMPT={ref.attempt_id}", f"CC_CAMPAIGN={ref.campaign_id}",
                 f"CC_QUEUE={spec.callback_queue}", f"CC_NUMBER={ref.phone}"]
    # The originated channel's id is the call's Linkedid (it is the first channel), and
    # so the ticket's: the recording is named by it as an inbound call's is.
    path = spec.recording(ref.uniqueid) if spec.recording is not None else None
    if path is not None and is_recording_path(path):
        variables.append(f"CC_RECORDING={path}")
    if ref.mode is at.Mode.AGENT_FIRST:
        fields = {"Channel": agent_interface or "", "Context": spec.agent_first_context,
                  "Exten": "s", "Priority": "1",
                  "Variable": ",".join([*variables, f"CC_CUSTOMER={customer}",
                                        f"CC_RING_S={int(spec.ring_timeout_s)}"])}
    else:
        fields = {"Channel": customer, "Context": spec.customer_first_context, "Exten": "s",
                  "Priority": "1", "Variable": ",".join(variables)}
    fields.update({"ChannelId": ref.uniqueid, "ActionID": ref.action_id,
                   "Timeout": str(int(spec.ring_timeout_s * 1000))})
    if spec.caller_id:
        fields["CallerID"] = spec.caller_id
    return fields
