"""The words shown for the domain's codes (statuses, outcomes, reasons, states, kinds).

One place holds them: the pages' translation files (callcenter/web/static/i18n/):
`labels.<lang>.json` ({kind: {code: word}}) and, for the ticket's and the agents'
codes the pages had words for first, the main `<lang>.json` under a prefix (`st_open`).
The pages read them through `CC.label(kind, code)` (common.js), the CLI's tables
through `label()`; JSON output (the API, `--json`) keeps the codes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from callcenter.domain import callbacks as cb
from callcenter.domain import complaints as cp
from callcenter.domain import ledger as lg
from callcenter.domain import ticket_rules as tr
from callcenter.domain.outcomes import AgentState, ViolationKind
from callcenter.domain.ratings_today import SOURCES

I18N = Path(__file__).resolve().parent.parent / "web" / "static" / "i18n"
LANGS = ("zh-CN", "en")

# Kinds whose words live in the main word file under a prefix (common.js knows them too).
PREFIXED: Mapping[str, str] = {"ticket_status": "st_", "priority": "pri_", "mood": "mood_",
                               "rating": "rate_", "agent_state": "state_", "verdict": "verdict_",
                               "praise_kind": "praise_"}

# Every code the pages or the CLI's tables may show, by kind, from the code that owns it.
CODE_SETS: Mapping[str, tuple[str, ...]] = {
    "ticket_status": tr.STATUSES, "priority": tr.PRIORITIES, "mood": tr.MOODS, "rating": tr.RATINGS,
    "agent_state": tuple(s.value for s in AgentState),
    "verdict": tuple(v for v in cp.VERDICTS if v), "praise_kind": cp.PRAISE_KINDS,
    "campaign_status": cb.CAMPAIGN_STATUSES, "campaign_mode": cb.CAMPAIGN_MODES,
    "campaign_kind": cb.CAMPAIGN_KINDS,
    "contact_status": cb.CONTACT_STATUSES, "attempt_status": cb.ATTEMPT_STATUSES,
    "outcome": tuple(o.value for o in cb.Outcome), "refusal": tuple(r.value for r in cb.Refusal),
    "ledger_reason": lg.REASONS, "violation": tuple(v.value for v in ViolationKind),
    "alert_kind": (*tr.OVERDUE_KINDS, cp.FLAG_KIND, "surge_early_warning", "surge_level_1",
                   "surge_level_2", "callbacks_overdue", "store_set_aside", "queue_log_mismatch",
                   "outage_ami", "outage_database", "outage_writer", "outage_journal",
                   "outage_queue_log"),
    "alert_level": ("info", "warning", "critical"),
    "rating_source": SOURCES,
    # A refused import row's reason: a template for the column's word and the detail.
    "import_rejection": cb.IMPORT_REJECTIONS, "contact_field": cb.CONTACT_FIELDS,
}

# The CLI's table columns that carry codes, and the kinds they may be read as (first found).
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "status": ("ticket_status", "campaign_status", "contact_status", "attempt_status"),
    "outcome": ("outcome",), "last_outcome": ("outcome",), "state": ("agent_state",),
    "reason": ("ledger_reason", "refusal"), "kind": ("alert_kind", "violation", "campaign_kind"),
    "level": ("alert_level",), "mode": ("campaign_mode",), "priority": ("priority",),
    "mood": ("mood",), "rating": ("rating",), "rating_source": ("rating_source",),
    "verdict": ("verdict",),
}


@cache
def _words(lang: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    main: dict[str, str] = json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))
    kinds: dict[str, dict[str, str]] = json.loads(
        (I18N / f"labels.{lang}.json").read_text(encoding="utf-8"))
    return main, kinds


def lookup(kind: str, code: str, lang: str) -> str | None:
    """The word for `code` of `kind` in `lang`, or None if there is none."""
    main, kinds = _words(lang)
    prefix = PREFIXED.get(kind)
    if prefix is not None:
        return main.get(prefix + code)
    return kinds.get(kind, {}).get(code)


def label(kind: str, code: str, lang: str) -> str:
    return lookup(kind, code, lang) or code


def cli_lang() -> str:
    """The CLI's language: CALLCENTER_LANG, else the locale's (Chinese or English)."""
    chosen = os.environ.get("CALLCENTER_LANG") or os.environ.get("LANG", "")
    return "zh-CN" if chosen.lower().startswith("zh") else "en"


def cell(column: str, value: object, lang: str) -> object:
    """A CLI table cell: a code in a code column shown by its word."""
    if not isinstance(value, str):
        return value
    for kind in COLUMNS.get(column, ()):
        found = lookup(kind, value, lang)
        if found:
            return found
    return value
