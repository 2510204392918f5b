"""The caller's side over FastAGI (pyst2): the post-call satisfaction survey and the
after-hours callback promise, asked by the shipped dialplan through ${CC_AGI}."""

from callcenter.agi.settings import (
    AgiSettings,
    HotlineSettings,
    KeepPlaceSettings,
    SurveySettings,
)
from callcenter.core.feature import Feature

FEATURE = Feature("agi", sections=(AgiSettings, SurveySettings, HotlineSettings,
                                    KeepPlaceSettings),
                  wiring="callcenter.agi.wiring")
