"""Call recordings: every queue call recorded by Asterisk (MixMonitor in the shipped
dialplan, the file named by the call's Linkedid), linked to its ticket, played on the
ticket and review pages, and deleted after the retention period (过期销毁)."""

from callcenter.core.feature import Feature
from callcenter.recordings.settings import RecordingsSettings

FEATURE = Feature("recordings", sections=(RecordingsSettings,),
                  wiring="callcenter.recordings.wiring")
