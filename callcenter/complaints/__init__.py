"""Complaints (投诉): whom a complaint is about, its investigation deadline, the
follow-up call made when it is resolved, closing only after that call succeeds or a
supervisor marks it unfounded, agents flagged at 3 confirmed complaints a month,
and the 投诉分类统计表."""

from callcenter.complaints.settings import ComplaintSettings
from callcenter.core.feature import Feature

FEATURE = Feature("complaints", sections=(ComplaintSettings,),
                  wiring="callcenter.complaints.wiring")
