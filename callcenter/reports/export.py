"""A report table as CSV or .xlsx, with exactly the page's (and the CLI's) columns.

The header row is the column names scripts rely on; the .xlsx has a second sheet,
the glossary (every column's definition in 中文 and English).  Agent and queue names
come from Asterisk's configuration and caller-facing systems, so every text cell is
made inert (callbacks/report.py's `inert`: no spreadsheet evaluates it); numbers stay
numbers, an empty figure (no calls) is an empty cell."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from callcenter.callbacks.report import inert
from callcenter.domain.kpi_glossary import Term

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _cells(columns: Sequence[str], row: dict[str, Any]) -> list[Any]:
    return [inert(row.get(c)) if row.get(c) is not None else None for c in columns]


def to_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in _cells(columns, row)] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel then reads UTF-8


def to_xlsx(title: str, columns: Sequence[str], rows: Sequence[dict[str, Any]],
            terms: Sequence[Term]) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415 - only exports need it

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    _write(sheet, [list(columns), *(_cells(columns, row) for row in rows)])
    sheet.freeze_panes = "A2"
    defined = {t.column: t for t in terms}
    words = book.create_sheet("glossary")
    _write(words, [["column", "中文", "定义", "English", "definition"]] + [
        [c, t.zh, t.zh_definition, t.en, t.en_definition]
        for c in columns if (t := defined.get(c)) is not None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write(sheet: Any, rows: Sequence[Sequence[Any]]) -> None:
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=inert(value))
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with


def export(fmt: str, title: str, columns: Sequence[str], rows: Sequence[dict[str, Any]],
           terms: Sequence[Term]) -> bytes:
    if fmt == "csv":
        return to_csv(columns, rows)
    return to_xlsx(title, columns, rows, terms)
