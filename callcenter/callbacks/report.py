"""The campaign report (回访总结报告) as tables, and its CSV and .xlsx exports: the
same sheets whether the CLI or a page asks for them.

Names and notes came from customers' spreadsheets and caller IDs, so every text cell
is made inert before it is written (OWASP CSV injection): controls and bidirectional
overrides removed, and text starting with = + - @ tab or CR prefixed with a single
quote, so Excel, LibreOffice and WPS show it instead of evaluating it.  Numbers
(counts, percentages, scores) stay numbers."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from callcenter.domain.text import clean

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A cell that no spreadsheet evaluates: text neutralised, anything else as it is."""
    if not isinstance(value, str):
        return value
    text = clean(value, len(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def report_sheets(report: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """Summary, scores, failures, per agent, not reached."""
    summary = [["项目 item", "值 value"]] + [[k, report[k]] for k in (
        "contacts", "reached", "coverage_pct", "members", "members_reached", "success",
        "success_rate_pct")]
    scores = [["评分 score", "数量 count"]] + [[k, v] for k, v in report["score_distribution"].items()]
    failures = [["原因 reason", "数量 count"]] + [[k, v] for k, v in report["failure_reasons"].items()]
    agents = [["坐席 agent", "结果 outcome", "数量 count"]] + [
        [agent, outcome, n] for agent, counts in report["per_agent"].items()
        for outcome, n in counts.items()]
    missing = [["姓名 name", "电话 phone", "会员 member", "次数 attempts", "期限 deadline"]] + [
        [c["name"], c["phone"], c["member"], c["attempts"], c["deadline"]]
        for c in report["not_reached"]]
    return {"summary": summary, "scores": scores, "failures": failures, "per agent": agents,
            "not reached": missing}


def write_csv(path: Path, report: dict[str, Any]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:  # BOM: Excel reads UTF-8
        writer = csv.writer(out)
        for title, rows in report_sheets(report).items():
            writer.writerow([f"# {title}"])
            writer.writerows([inert(v) for v in row] for row in rows)
            writer.writerow([])


def write_xlsx(path: Path, report: dict[str, Any]) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 - only exports need it

    book = Workbook()
    book.remove(book.active)
    for title, rows in report_sheets(report).items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c, value=inert(value))
                if isinstance(value, str):
                    cell.data_type = "s"  # text, never a formula, whatever it starts with
    book.save(path)
