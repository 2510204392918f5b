"""Contact lists from spreadsheets: CSV and .xlsx, read as they stream in.

A hostile file must cost bounded memory and time: the file's size, its rows and each
cell's length are limited (`ImportLimits`, from the `[callbacks]` settings), checked
while reading; passing one refuses the whole file (UnreadableFile, naming the limit).

CSV text is decoded by the rule in charsets.py.

Every bad row is rejected with its row number and reason; the good rows are returned
for one all-or-nothing insert.  Rows whose text holds control characters (C0, C1, the
bidirectional overrides and isolates: domain/text.py) are rejected, not cleaned: the
operator sees which row to fix in the source, and no silently altered name reaches an
agent's screen.  A name or note longer than its column is rejected the same way."""

from __future__ import annotations

import csv
import re
import stat
import struct
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from sqlalchemy import String

from callcenter.callbacks.charsets import text_encoding, too_big
from callcenter.callbacks.settings import ImportLimits
from callcenter.domain.phone import PhoneNumber, PhoneRules
from callcenter.domain.text import has_controls
from callcenter.errors import UnreadableFile
from callcenter.store.models import Contact

COLUMNS = {
    "name": ("姓名", "客户姓名", "name", "customer"),
    "phone": ("电话", "联系电话", "手机", "手机号", "phone", "mobile", "number"),
    "service_date": ("服务日期", "受理日期", "service date", "service_date", "date"),
    "note": ("备注", "内容", "note", "notes"),
    "member": ("会员", "member"),
}


def _column_length(name: str) -> int:
    kind = Contact.__table__.c[name].type
    if not isinstance(kind, String) or kind.length is None:
        raise TypeError(f"contacts.{name} is not a bounded string column")
    return kind.length


# The database columns' lengths: longer text is a rejected row, not a failed insert.
_MAX_CHARS = {key: _column_length(key) for key in ("name", "note")}

_CHUNK = 1 << 20
# A CSV record may hold this many cells of the longest allowed length: the feeder's
# budget per record, so one line without a newline cannot grow without end.
_CELLS_PER_ROW = 32
# An .xlsx is a zip: its parts together may unpack to this many times import_max_bytes
# (the time to read them).  Worksheets are streamed; the other XML parts openpyxl
# parses whole: the shared strings become one list (about 4x their XML, measured),
# styles and the workbook object trees (about 12x), hence their shares of the limit.
_XLSX_INFLATION = 10
_XLSX_MAX_PARTS = 1_000
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml")


@dataclass(frozen=True)
class ContactRow:
    row: int
    name: str
    phone: str
    service_date: date | None
    note: str
    member: bool


@dataclass(frozen=True)
class Rejection:
    """A refused row: a code (IMPORT_REJECTIONS) the pages word in their language, the
    column it concerns (CONTACT_FIELDS) and a detail (the cell's text, the limit, the
    earlier row), with the English sentence the CLI and the API's `reason` carry."""

    row: int
    code: str
    column: str = ""
    detail: str = ""

    @property
    def reason(self) -> str:
        return _REASONS[self.code].format(column=self.column, detail=self.detail)

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "code": self.code, "column": self.column,
                "detail": self.detail, "reason": self.reason}


_REASONS = {
    "control_characters": "control characters in {column}",
    "too_long": "{column} longer than {detail} characters",
    "missing_phone": "missing phone",
    "invalid_number": "invalid number '{detail}'",
    "duplicate_row": "duplicate of row {detail}",
    "in_campaign": "already in this campaign",
    "do_not_call": "on the do-not-call list",
    "bad_service_date": "bad service date '{detail}'",
}


@dataclass
class ImportReport:
    good: list[ContactRow] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def read_table(path: Path, limits: ImportLimits) -> Iterator[Sequence[Any]]:
    """The file's rows, header first.  What can be known before the first row (size,
    format, encoding) is checked now; rows and cells are checked as they stream."""
    _check_size(path, limits)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise UnreadableFile(f"{path.name}: the old .xls format: save it as .xlsx or CSV")
    if suffix == ".xlsx":
        _check_xlsx(path, limits)
        rows: Iterator[Sequence[Any]] = _xlsx_rows(path)
    else:
        encoding = text_encoding(path, limits)
        rows = _csv_rows(path, encoding, limits)
    return _within_limits(path.name, rows, limits)


def _within_limits(name: str, rows: Iterator[Sequence[Any]],
                   limits: ImportLimits) -> Iterator[Sequence[Any]]:
    for number, row in enumerate(rows, start=1):
        if number > limits.max_rows + 1:  # the header is not a data row
            raise UnreadableFile(f"{name}: more than {limits.max_rows:,} rows "
                                 "(callbacks.import_max_rows)")
        if any(isinstance(c, str) and len(c) > limits.max_field_chars for c in row):
            raise UnreadableFile(f"{name}: row {number} has a cell longer than "
                                 f"{limits.max_field_chars:,} characters "
                                 "(callbacks.import_max_field_chars)")
        yield row


def _check_size(path: Path, limits: ImportLimits) -> None:
    try:
        info = path.stat()
    except OSError as exc:
        raise UnreadableFile(f"{path.name}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"{path.name}: not a regular file")
    if info.st_size > limits.max_bytes:
        raise UnreadableFile(too_big(path.name, limits))


# ---- CSV -------------------------------------------------------------------------

class _RecordTooLong(Exception):
    pass


class _Lines:
    """Lines for csv.reader with a character budget per record: readline(n) never holds
    more than n characters, so a 200 MB line costs what a short one does."""

    def __init__(self, stream: IO[str], budget: int) -> None:
        self.stream, self.budget, self.left = stream, budget, budget

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(self.left + 1)
        if not line:
            raise StopIteration
        self.left -= len(line)
        if self.left < 0:
            raise _RecordTooLong
        return line


def _csv_rows(path: Path, encoding: str, limits: ImportLimits) -> Iterator[Sequence[Any]]:
    budget = limits.max_field_chars * _CELLS_PER_ROW
    # The csv module's own cap is process-wide: only ever raise it, to what the budget
    # allows; the budget, not this cap, is what bounds memory.
    if csv.field_size_limit() < budget:
        csv.field_size_limit(budget)
    with path.open(encoding=encoding, errors="strict", newline="") as stream:
        header = stream.readline(budget)
        # Excel's "Unicode text" (UTF-16) is tab-separated; its CSVs are comma-separated.
        delimiter = "\t" if "\t" in header and "," not in header else ","
        stream.seek(0)
        lines = _Lines(stream, budget)
        reader = csv.reader(lines, delimiter=delimiter)
        number = 1
        while True:
            lines.left = budget
            try:
                row = next(reader)
            except StopIteration:
                return
            except _RecordTooLong:
                raise UnreadableFile(
                    f"{path.name}: row {number} is longer than {budget:,} characters (cells "
                    f"hold at most {limits.max_field_chars:,}: callbacks.import_max_field_chars)"
                ) from None
            except (csv.Error, UnicodeDecodeError) as exc:  # the file changed since it was checked
                raise UnreadableFile(f"{path.name}: row {number}: {exc}") from None
            number += 1
            yield row


# ---- .xlsx -----------------------------------------------------------------------

def _parts_in_directory(path: Path) -> int:
    """The zip's entry count from its end record, before zipfile builds one object per
    entry: a small file can declare hundreds of thousands."""
    with path.open("rb") as raw:
        size = raw.seek(0, 2)
        raw.seek(max(0, size - 65_557))  # the end record (22 bytes) and its comment (< 64 KiB)
        tail = raw.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise UnreadableFile(f"{path.name}: not an .xlsx file (no zip directory)")
    entries: int = struct.unpack_from("<H", tail, at + 10)[0]
    return entries


def _longest_run(stream: IO[bytes]) -> int:
    """The longest stretch without '<' or '>' in an XML part (a tag or a text): what one
    cell can make the XML parser hold at once."""
    longest = carried = 0
    while chunk := stream.read(_CHUNK):
        pieces = re.split(rb"[<>]", chunk)
        if len(pieces) == 1:
            carried += len(chunk)
        else:
            longest = max(longest, carried + len(pieces[0]), *map(len, pieces[1:-1]))
            carried = len(pieces[-1])
        longest = max(longest, carried)
    return longest


def _whole_part_limit(part: str, limits: ImportLimits) -> int | None:
    if _WORKSHEET.fullmatch(part):
        return None
    return limits.max_bytes // (2 if part == "xl/sharedStrings.xml" else 8)


def _check_xlsx(path: Path, limits: ImportLimits) -> None:
    name = path.name
    if _parts_in_directory(path) > _XLSX_MAX_PARTS:
        raise UnreadableFile(f"{name}: more than {_XLSX_MAX_PARTS:,} parts: not a spreadsheet")
    # A run this long is a cell far over the limit whatever its encoding (UTF-8 takes at
    # most 4 bytes a character; XML escapes a few more), or a tag no writer makes.
    longest_run = 16 * limits.max_field_chars + 4096
    try:
        with zipfile.ZipFile(path) as book:
            parts = book.infolist()
            # zipfile stops at each part's declared size, so these sums bind.
            if sum(p.file_size for p in parts) > _XLSX_INFLATION * limits.max_bytes:
                raise UnreadableFile(f"{name}: unpacks to more than {_XLSX_INFLATION} × "
                                     "callbacks.import_max_bytes")
            for part in parts:
                if not part.filename.endswith((".xml", ".rels")):
                    continue  # images and the like: openpyxl does not read them here
                most = _whole_part_limit(part.filename, limits)
                if most is not None and part.file_size > most:
                    raise UnreadableFile(f"{name}: {part.filename} unpacks to more than "
                                         f"{most:,} bytes (a share of callbacks.import_max_bytes)")
                with book.open(part) as stream:
                    if _longest_run(stream) > longest_run:
                        raise UnreadableFile(
                            f"{name}: {part.filename} holds a cell far longer than "
                            f"{limits.max_field_chars:,} characters "
                            "(callbacks.import_max_field_chars)")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
            EOFError) as exc:
        raise UnreadableFile(f"{name}: not a readable .xlsx file ({exc})") from None


def _xlsx_rows(path: Path) -> Iterator[Sequence[Any]]:
    from openpyxl import load_workbook  # noqa: PLC0415 - only imports need it
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet  # noqa: PLC0415

    try:
        book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except _broken_xlsx() as exc:
        raise UnreadableFile(f"{path.name}: not a readable .xlsx file ({exc!r})") from None
    sheet = book.active
    if not isinstance(sheet, ReadOnlyWorksheet):
        book.close()
        raise UnreadableFile(f"{path.name}: the first sheet is not a worksheet")
    # The declared dimension (A1:XFD1048576 costs nothing to write) would pad every row
    # to its width and fill empty rows up to its height: take the rows as they are.
    sheet.reset_dimensions()
    return _sheet_rows(path.name, book, sheet)


def _sheet_rows(name: str, book: Any, sheet: Any) -> Iterator[Sequence[Any]]:
    try:
        yield from sheet.iter_rows(values_only=True)
    except _broken_xlsx() as exc:
        raise UnreadableFile(f"{name}: not a readable .xlsx file ({exc!r})") from None
    finally:
        book.close()  # read-only workbooks keep their zip open


def _broken_xlsx() -> tuple[type[Exception], ...]:
    """What openpyxl raises on a malformed part."""
    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    return (KeyError, ValueError, TypeError, AttributeError, IndexError, OSError,
            ParseError, zipfile.BadZipFile, InvalidFileException)


# ---- rows into contacts ------------------------------------------------------------

def _header_map(header: Sequence[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        label = str(cell or "").strip().lower()
        for key, aliases in COLUMNS.items():
            if label in aliases and key not in found:
                found[key] = index
    if "phone" not in found:
        raise UnreadableFile("no phone column (电话/phone) in the header row")
    return found


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    return datetime.strptime(text, "%Y-%m-%d").date()


def _problem(number: int, texts: dict[str, str]) -> Rejection | None:
    for key, text in texts.items():
        if has_controls(text):  # C0/C1 controls, bidirectional overrides and isolates
            return Rejection(number, "control_characters", key)
    for key, most in _MAX_CHARS.items():
        if len(texts[key].strip()) > most:
            return Rejection(number, "too_long", key, str(most))
    if not texts["phone"].strip():
        return Rejection(number, "missing_phone", "phone")
    return None


def parse_contacts(rows: Iterable[Sequence[Any]], known_phones: set[str],
                   do_not_call: set[str], phones: PhoneRules) -> ImportReport:
    report = ImportReport()
    stream = iter(rows)
    header = next(stream, None)
    if header is None:
        return report
    columns = _header_map(header)
    first_row_of: dict[str, int] = {}
    for number, cells in enumerate(stream, start=2):
        if not any(str(c or "").strip() for c in cells):
            continue  # blank line

        def cell(key: str, cells: Sequence[Any] = cells) -> Any:
            index = columns.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        texts = {k: ("" if cell(k) is None else str(cell(k))) for k in COLUMNS}
        bad = _problem(number, texts)
        if bad:
            report.rejected.append(bad)
            continue
        parsed = PhoneNumber.or_none(texts["phone"].removesuffix(".0"), phones)
        if parsed is None:
            report.rejected.append(Rejection(number, "invalid_number", "phone",
                                             texts["phone"].strip()))
            continue
        phone = parsed.digits
        if phone in first_row_of:
            report.rejected.append(Rejection(number, "duplicate_row", "phone",
                                             str(first_row_of[phone])))
            continue
        if phone in known_phones:
            report.rejected.append(Rejection(number, "in_campaign", "phone"))
            continue
        if phone in do_not_call:
            report.rejected.append(Rejection(number, "do_not_call", "phone"))
            continue
        try:
            service = _date(cell("service_date"))
        except ValueError:
            report.rejected.append(Rejection(number, "bad_service_date", "service_date",
                                             texts["service_date"].strip()))
            continue
        first_row_of[phone] = number
        member = texts["member"].strip().lower() in ("1", "yes", "y", "true", "是", "会员")
        report.good.append(ContactRow(number, texts["name"].strip(), phone, service,
                                      texts["note"].strip(), member))
    return report
