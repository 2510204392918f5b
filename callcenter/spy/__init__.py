"""Listen, whisper and barge (监听 / 耳语 / 强插): a supervisor's own phone rung into
ChanSpy on an agent's current call, from the wallboard."""

from callcenter.core.feature import Feature
from callcenter.spy.settings import SpySettings

FEATURE = Feature("spy", sections=(SpySettings,), wiring="callcenter.spy.wiring")
