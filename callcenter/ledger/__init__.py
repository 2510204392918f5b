"""The points ledger (奖惩): every source of points in one audited table, manual
entries and reversals by supervisors, the zero-complaint month's award, and the
quarter's bonus with its top three."""

from callcenter.core.feature import Feature
from callcenter.ledger.settings import LedgerSettings

FEATURE = Feature("ledger", sections=(LedgerSettings,), wiring="callcenter.ledger.wiring",
                  cli="callcenter.ledger.cli")
