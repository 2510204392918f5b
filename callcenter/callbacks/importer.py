"""Contact lists from spreadsheets: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, as
Chinese spreadsheets export them) and .xlsx.  Every bad row is rejected with its row
number and reason; the good rows are returned for one all-or-nothing insert."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from callcenter.domain.phone import normalise
from callcenter.errors import UnreadableFile

COLUMNS = {
    "name": ("姓名", "客户姓名", "name", "customer"),
    "phone": ("电话", "联系电话", "手机", "手机号", "phone", "mobile", "number"),
    "service_date": ("服务日期", "受理日期", "service date", "service_date", "date"),
    "note": ("备注", "内容", "note", "notes"),
    "member": ("会员", "member"),
}
_VALID_PHONE = re.compile(r"^\d{7,15}$")


@dataclass(frozen=True)
class ContactRow:
    row: int
    name: str
    phone: str
    service_date: date | None
    note: str
    member: bool


@dataclass
class ImportReport:
    good: list[ContactRow] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)


def read_table(path: Path) -> list[list[Any]]:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook  # noqa: PLC0415 - only imports need it

        book = load_workbook(path, read_only=True, data_only=True)
        return [list(r) for r in book.active.iter_rows(values_only=True)]
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(f"{path.name}: not UTF-8 or GBK/GB18030 text")
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _header_map(header: list[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        label = str(cell or "").strip().lower()
        for key, aliases in COLUMNS.items():
            if label in aliases and key not in found:
                found[key] = index
    if "phone" not in found:
        raise UnreadableFile("no phone column (电话/phone) in the header row")
    return found


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    return datetime.strptime(text, "%Y-%m-%d").date()


def parse_contacts(rows: list[list[Any]], known_phones: set[str], do_not_call: set[str]) -> ImportReport:
    report = ImportReport()
    if not rows:
        return report
    columns = _header_map(rows[0])
    first_row_of: dict[str, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(str(c or "").strip() for c in cells):
            continue  # blank line

        def cell(key: str, cells: list[Any] = cells) -> Any:
            index = columns.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        texts = {k: ("" if cell(k) is None else str(cell(k))) for k in COLUMNS}
        bad = next((k for k, v in texts.items() if _has_control(v)), None)
        if bad:
            report.rejected.append((number, f"control characters in {bad}"))
            continue
        if not texts["phone"].strip():
            report.rejected.append((number, "missing phone"))
            continue
        phone = normalise(texts["phone"].removesuffix(".0"))
        if not _VALID_PHONE.match(phone):
            report.rejected.append((number, f"invalid number {texts['phone'].strip()!r}"))
            continue
        if phone in first_row_of:
            report.rejected.append((number, f"duplicate of row {first_row_of[phone]}"))
            continue
        if phone in known_phones:
            report.rejected.append((number, "already in this campaign"))
            continue
        if phone in do_not_call:
            report.rejected.append((number, "on the do-not-call list"))
            continue
        try:
            service = _date(cell("service_date"))
        except ValueError:
            report.rejected.append((number, f"bad service date {texts['service_date']!r}"))
            continue
        first_row_of[phone] = number
        member = texts["member"].strip().lower() in ("1", "yes", "y", "true", "是", "会员")
        report.good.append(ContactRow(number, texts["name"].strip(), phone, service,
                                      texts["note"].strip(), member))
    return report
