"""Hostile contact lists (issue 9): oversized and lying files are refused with bounded
memory, measured in a child process; odd encodings are read right or refused, never
stored as mojibake; caller text is checked at the boundary."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from callcenter.callbacks import service
from callcenter.callbacks.importer import parse_contacts, read_table
from callcenter.callbacks.settings import CallbacksSection, ImportLimits, import_limits
from callcenter.config import load
from callcenter.domain.calendar import WorkCalendar
from callcenter.domain.phone import PhoneRules
from callcenter.errors import ConfigError, UnreadableFile
from callcenter.store import db

TZ = ZoneInfo("Asia/Shanghai")
NOW = 1_800_000_000.0
LIMITS = import_limits(CallbacksSection())
CEILING_MB = 200
HEADER = "姓名,电话,备注\n"

# Runs one import in a fresh interpreter and reports how far its resident memory rose
# above where it stood just before (VmHWM, reset through clear_refs where allowed).
_CHILD = r"""
import json, sys
from pathlib import Path
from zoneinfo import ZoneInfo
from callcenter.callbacks import service
from callcenter.callbacks.settings import ImportLimits
from callcenter.domain.calendar import WorkCalendar
from callcenter.domain.phone import PhoneRules
from callcenter.errors import UnreadableFile
from callcenter.store import db
import openpyxl  # loaded before the baseline, as the daemon's CLI has it

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])  # kB

url, path, limits = sys.argv[1], Path(sys.argv[2]), ImportLimits(**json.loads(sys.argv[3]))
engine = db.engine_for(url)
campaign = service.create_campaign(engine, service.NewCampaign("probe"), 0.0)
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM back to the current RSS
except OSError:
    pass
before = status("VmRSS")
try:
    report = service.import_file(engine, campaign, path, 0.0, ZoneInfo("Asia/Shanghai"),
                                 calendar=WorkCalendar(), limits=limits,
                                 phones=PhoneRules())
    result = {"imported": len(report.good), "rejected": len(report.rejected)}
except UnreadableFile as exc:
    result = {"error": str(exc), "error_id": exc.error_id}
result["growth_mb"] = (status("VmHWM") - before) / 1024
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db')}/imports.db"
    db.upgrade(url)
    return url


def _import_in_child(url: str, path: Path, limits: ImportLimits = LIMITS) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, url, str(path), json.dumps(limits.__dict__)],
        capture_output=True, text=True, timeout=120, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    assert isinstance(result["growth_mb"], float) and result["growth_mb"] < CEILING_MB, result
    return result


def _rows(path: Path, limits: ImportLimits = LIMITS) -> tuple[list[str], list[tuple[int, str]]]:
    report = parse_contacts(read_table(path, limits), set(), set(), PhoneRules())
    return [r.name for r in report.good], [(r.row, r.reason) for r in report.rejected]


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _edit_sheet(path: Path, edit: object) -> None:
    """Rewrite the first worksheet's XML inside the zip (what an attacker does)."""
    with zipfile.ZipFile(path) as old:
        parts = {info.filename: old.read(info) for info in old.infolist()}
    name = "xl/worksheets/sheet1.xml"
    parts[name] = edit(parts[name].decode()).encode()  # type: ignore[operator]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for part, data in parts.items():
            new.writestr(part, data)


# ---- memory under hostile files ---------------------------------------------------

def test_xlsx_declaring_the_largest_sheet_reads_only_its_rows(sqlite_url: str,
                                                              tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "huge.xlsx", [["姓名", "电话"], ["张三", "13800138000"],
                                          ["李四", 13900139000]])
    _edit_sheet(path, lambda xml: re.sub(r'<dimension ref="[^"]*"/>',
                                         '<dimension ref="A1:XFD1048576"/>', xml))
    assert path.stat().st_size < 10_000
    result = _import_in_child(sqlite_url, path)
    assert (result["imported"], result["rejected"]) == (2, 0)


def test_xlsx_with_a_row_numbered_a_million_stops_at_the_row_limit(sqlite_url: str,
                                                                  tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "far.xlsx", [["姓名", "电话"], ["张三", "13800138000"]])
    _edit_sheet(path, lambda xml: xml.replace(
        "</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is>'
                        "</c></row></sheetData>"))
    result = _import_in_child(sqlite_url, path)
    assert "more than 100,000 rows (callbacks.import_max_rows)" in str(result["error"])


def _replace_part(path: Path, name: str, pieces: Iterator[bytes]) -> None:
    """Rewrite one part of the zip, streaming it: small on disk, huge unpacked."""
    with zipfile.ZipFile(path) as old:
        parts = {info.filename: old.read(info) for info in old.infolist() if info.filename != name}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for part, data in parts.items():
            new.writestr(part, data)
        with new.open(name, "w") as out:
            for piece in pieces:
                out.write(piece)


def test_xlsx_zip_bomb_giant_cell_and_bloated_styles_are_refused(sqlite_url: str,
                                                                tmp_path: Path) -> None:
    bomb = _xlsx(tmp_path / "bomb.xlsx", [["姓名", "电话"], ["张三", "13800138000"]])
    _replace_part(bomb, "xl/worksheets/sheet9.xml", (b" " * (1 << 20) for _ in range(250)))
    assert bomb.stat().st_size < 2_000_000  # 250 MB unpacked
    assert "unpacks to more than 10 × callbacks.import_max_bytes" in str(
        _import_in_child(sqlite_url, bomb)["error"])

    giant = _xlsx(tmp_path / "giant.xlsx", [["姓名", "电话"], ["张三", "13800138000"]])
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(giant) as book:
        head, tail = book.read(sheet).split(b"</sheetData>")

    def one_cell() -> Iterator[bytes]:  # 150 MB of text in one inline cell
        yield head + b'<row r="3"><c r="A3" t="inlineStr"><is><t>'
        yield from (b"x" * (1 << 20) for _ in range(150))
        yield b"</t></is></c></row></sheetData>" + tail

    _replace_part(giant, sheet, one_cell())
    assert giant.stat().st_size < 1_000_000
    result = _import_in_child(sqlite_url, giant)
    assert "sheet1.xml holds a cell far longer than 1,000 characters" in str(result["error"])

    styled = _xlsx(tmp_path / "styles.xlsx", [["姓名", "电话"], ["张三", "13800138000"]])
    with zipfile.ZipFile(styled) as book:
        before, after = book.read("xl/styles.xml").split(b"</cellXfs>")
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    _replace_part(styled, "xl/styles.xml", iter([before, xf * 50_000, b"</cellXfs>", after]))
    result = _import_in_child(sqlite_url, styled)
    assert "styles.xml unpacks to more than 2,500,000 bytes" in str(result["error"])


def _one_huge_field(path: Path, *, quoted: bool) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("name,phone\n" + ('"' if quoted else ""))
        line = ("x" * 99 + "\n") if quoted else "x" * 100  # quoted: newlines inside the field
        for _ in range(2_000):
            out.write(line * 1_000)  # 200 MB in 100 KB writes
        out.write(('"' if quoted else "") + ",13800138000\n")
    return path


@pytest.mark.parametrize("quoted", [False, True], ids=["one-line", "quoted-multiline"])
def test_a_200_mb_field_is_refused(sqlite_url: str, tmp_path: Path, quoted: bool) -> None:
    path = _one_huge_field(tmp_path / "field.csv", quoted=quoted)
    assert path.stat().st_size > 200_000_000
    refused = _import_in_child(sqlite_url, path)  # the default limits: by its size
    assert "larger than 20,000,000 bytes (callbacks.import_max_bytes)" in str(refused["error"])
    roomy = ImportLimits(max_bytes=1_000_000_000, max_rows=LIMITS.max_rows,
                         max_field_chars=LIMITS.max_field_chars)
    refused = _import_in_child(sqlite_url, path, roomy)  # the size allowed: by the field
    assert refused["error_id"] == "import.unreadable"
    assert "row 2 is longer than 32,000 characters" in str(refused["error"])
    assert "callbacks.import_max_field_chars" in str(refused["error"])


def test_three_million_rows_are_refused_at_the_row_limit(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for block in range(300):
            out.write("".join(f"张{i},1{i:010d},\n"
                              for i in range(block * 10_000, (block + 1) * 10_000)))
    assert path.stat().st_size > 60_000_000
    assert "callbacks.import_max_bytes" in str(_import_in_child(sqlite_url, path)["error"])
    roomy = ImportLimits(max_bytes=200_000_000, max_rows=LIMITS.max_rows,
                         max_field_chars=LIMITS.max_field_chars)
    result = _import_in_child(sqlite_url, path, roomy)
    assert "more than 100,000 rows (callbacks.import_max_rows)" in str(result["error"])


def test_a_refused_file_stores_nothing(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(HEADER + "".join(f"张{i},1{i:010d},\n" for i in range(30)), encoding="utf-8")
    engine = db.engine_for(sqlite_url)
    campaign = service.create_campaign(engine, service.NewCampaign("limits"), NOW)
    small = ImportLimits(max_bytes=LIMITS.max_bytes, max_rows=20, max_field_chars=100)
    with pytest.raises(UnreadableFile, match="more than 20 rows"):
        service.import_file(engine, campaign, path, NOW, TZ, calendar=WorkCalendar(),
                            limits=small, phones=PhoneRules())
    assert next(c for c in service.campaigns(engine, TZ) if c["id"] == campaign)["contacts"] == 0


# ---- encodings --------------------------------------------------------------------

CHINESE = HEADER + "张三,13800138000,空调维修\n朱镕基,13900139000,\n王喆,13700137000,VIP客户\n"


@pytest.mark.parametrize(("bom", "codec"), [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
                                            (b"\xef\xbb\xbf", "utf-8"), (b"", "utf-8"),
                                            (b"", "gbk"), (b"", "gb18030")])
@pytest.mark.parametrize("separator", [",", "\t"])
def test_unicode_and_gbk_files_read_right(db_url: str, tmp_path: Path, bom: bytes, codec: str,
                                          separator: str) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(bom + CHINESE.replace(",", separator).encode(codec))
    engine = db.engine_for(db_url)
    campaign = service.create_campaign(engine, service.NewCampaign("编码"), NOW)
    report = service.import_file(engine, campaign, path, NOW, TZ, calendar=WorkCalendar(),
                                 limits=LIMITS, phones=PhoneRules())
    assert [(r.name, r.phone, r.note) for r in report.good] == [
        ("张三", "13800138000", "空调维修"), ("朱镕基", "13900139000", ""),
        ("王喆", "13700137000", "VIP客户")]


@pytest.mark.parametrize(("codec", "text", "why"), [
    ("big5", "name,phone\n張三,13800138000\n陳大文,13900139000\n", "U+E5FA"),
    ("big5", "name,phone\n黃志明,13800138000\n", "U+0432"),  # Cyrillic в
    ("shift_jis", "name,phone\n山田太郎,13800138000\n佐藤花子,13900139000\n", "would be rare"),
    ("shift_jis", "name,phone\n田中,13800138000\n", "would be rare"),
    ("latin-1", "name,phone\nFrançois Renée,13800138000\n", "inside Latin words"),
    ("latin-1", "name,phone\nJosé Müller,13800138000\n", "illegal multibyte sequence"),
])
def test_other_encodings_are_refused_not_stored_as_mojibake(tmp_path: Path, codec: str,
                                                            text: str, why: str) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(text.encode(codec))
    with pytest.raises(UnreadableFile) as refused:
        _rows(path)
    message = str(refused.value)
    assert "tried UTF-8, then GB18030" in message and why in message
    assert refused.value.error_id == "import.unreadable"


def test_nul_bytes_and_broken_utf16_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(CHINESE.encode("utf-16-le"))  # no byte-order mark
    with pytest.raises(UnreadableFile, match="NUL bytes"):
        _rows(path)
    path.write_bytes(b"\xff\xfe" + CHINESE.encode("utf-16-le") + b"\x00\xd8")  # lone surrogate
    with pytest.raises(UnreadableFile, match="UTF-16 byte-order mark but is not UTF-16"):
        _rows(path)


# ---- caller text at the boundary -------------------------------------------------

def test_controls_bidi_overrides_and_overlong_text_are_rejected_rows(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([
            ["姓名", "电话", "备注"],
            ["张三", "13800138000", "ok"],
            ["\u202e0118", "13900139000", ""],      # right-to-left override
            ["李四\u2066", "13700137000", ""],      # isolate
            ["王五", "13600136000", "\x1b[2J"],     # ESC
            ["赵" * 101, "13500135000", ""],        # the name column holds 100
            ["钱七", "13400134000", "注" * 501],    # the note column holds 500
            ["孙八", "138-0013-8001\u202e", ""],    # the phone too
            ["周九", "13300133000", "line\x85next"],  # C1 (NEL)
        ])
    names, rejected = _rows(path)
    assert names == ["张三"]
    assert rejected == [(3, "control characters in name"), (4, "control characters in name"),
                        (5, "control characters in note"), (6, "name longer than 100 characters"),
                        (7, "note longer than 500 characters"), (8, "control characters in phone"),
                        (9, "control characters in note")]


def test_a_cell_over_the_field_limit_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(HEADER + "张三,13800138000,短\n李四,13900139000," + "长" * 1_001 + "\n",
                    encoding="utf-8")
    with pytest.raises(UnreadableFile, match=r"row 3 has a cell longer than 1,000 characters "
                                             r"\(callbacks.import_max_field_chars\)"):
        _rows(path)


def test_not_a_file_or_old_xls_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="No such file"):
        _rows(tmp_path / "missing.csv")
    with pytest.raises(UnreadableFile, match="not a regular file"):
        _rows(tmp_path)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UnreadableFile, match=r"old \.xls"):
        _rows(tmp_path / "old.xls")
    (tmp_path / "fake.xlsx").write_text("name,phone\n")
    with pytest.raises(UnreadableFile, match=r"not an \.xlsx"):
        _rows(tmp_path / "fake.xlsx")


def test_limits_are_settings(tmp_path: Path) -> None:
    env = {"CALLCENTER__CALLBACKS__IMPORT_MAX_ROWS": "500"}
    limits = import_limits(load(None, environ=env).get(CallbacksSection))
    assert limits == ImportLimits(max_bytes=20_000_000, max_rows=500, max_field_chars=1_000)
    path = tmp_path / "c.toml"
    path.write_text("[callbacks]\nimport_max_field_chars = 0\n")
    with pytest.raises(ConfigError) as err:
        load(path, environ={})
    assert err.value.key == "callbacks.import_max_field_chars"
