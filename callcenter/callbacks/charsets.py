"""Which encoding a CSV file is in, decided with bounded memory (the file is decoded a
chunk at a time, strictly, before a row is read).

CSV encodings, in this order: a byte-order mark decides (UTF-8, UTF-16 LE/BE, UTF-32);
without one, strict UTF-8; then GB18030 (a superset of GBK, as Chinese Excel saves),
accepted only if the text looks Chinese, because GB18030 decodes nearly any bytes:
  * every non-ASCII character is an ideograph or a GB2312 punctuation, symbol,
    full-width or pinyin character (Big5 read as GBK gives private-use characters,
    kana, Greek and Cyrillic; Latin-1 gives other Latin letters);
  * no rare ideograph (one outside GB2312's 6,763) touches an ASCII letter: Latin-1
    "François" reads as "Fran鏾is", the accented byte swallowing the next letter;
  * rare ideographs are at most a quarter of all ideographs once there are two:
    Shift-JIS kanji and Big5 read as GBK land almost only on rare ones, while real
    names use them sparingly (镕, 喆, 玥).
Anything else is refused, naming the encodings tried: re-saving as "CSV UTF-8" fixes it."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from callcenter.callbacks.settings import ImportLimits
from callcenter.errors import UnreadableFile

_CHUNK = 1 << 20


def too_big(name: str, limits: ImportLimits) -> str:
    return f"{name}: larger than {limits.max_bytes:,} bytes (callbacks.import_max_bytes)"


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_LABELS = {"utf-32": "UTF-32", "utf-8-sig": "UTF-8", "utf-16": "UTF-16"}
_IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"


def _gb2312_rows(*leads: int) -> str:
    """The characters of GB2312's symbol rows, as GB18030 decodes them."""
    found = []
    for lead in leads:
        for trail in range(0xA1, 0xFF):
            try:
                found.append(bytes((lead, trail)).decode("gb18030"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(set(found)))


# Punctuation and symbols (A1, A2), full-width forms (A3) and pinyin (A8); not kana
# (A4, A5), Greek (A6), Cyrillic (A7) nor box drawing (A9), which mis-read Big5 yields.
_NOT_CHINESE = re.compile("[^\x00-\x7f" + _IDEOGRAPH + "\u2010-\u2027\u2030-\u205e\u20ac"
                          + re.escape(_gb2312_rows(0xA1, 0xA2, 0xA3, 0xA8)) + "]")
_IDEOGRAPHS = re.compile(f"[{_IDEOGRAPH}]")
_BESIDE_LETTER = re.compile(f"(?<=[A-Za-z])[{_IDEOGRAPH}]|[{_IDEOGRAPH}](?=[A-Za-z])")


def _rare(ideographs: str) -> int:
    """How many of these ideographs GB2312 lacks (each it has encodes in two bytes)."""
    return len(ideographs) - len(ideographs.encode("gb2312", "ignore")) // 2


class _LooksChinese:
    """The GB18030 plausibility rule (module docstring), fed the text as it decodes."""

    def __init__(self) -> None:
        self.ideographs = self.rare = 0
        self.problem: str | None = None
        self._last = ""

    def feed(self, text: str) -> None:
        if self.problem:
            return
        odd = _NOT_CHINESE.search(text)
        if odd:
            self.problem = (f"it would hold {odd.group()!r} (U+{ord(odd.group()):04X}), "
                            "not found in Chinese text")
            return
        if any(_rare(m.group()) for m in _BESIDE_LETTER.finditer(self._last + text)):
            self.problem = "rare characters inside Latin words (Latin-1 text?)"
            return
        found = "".join(_IDEOGRAPHS.findall(text))
        self.ideographs += len(found)
        self.rare += _rare(found)
        self._last = text[-1:]

    def verdict(self) -> str | None:
        if self.problem is None and self.rare >= 2 and self.rare * 4 > self.ideographs:
            return (f"{self.rare} of its {self.ideographs} Chinese characters would be rare "
                    "ones (Big5 or Shift-JIS text?)")
        return self.problem


def _decoded(path: Path, encoding: str, limits: ImportLimits) -> Iterator[str]:
    """The whole file through a strict incremental decoder, a chunk at a time, counting
    bytes as they come (the file may have grown since it was measured)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    wide = encoding in ("utf-16", "utf-32")
    total = 0
    with path.open("rb") as raw:
        while chunk := raw.read(_CHUNK):
            total += len(chunk)
            if total > limits.max_bytes:
                raise UnreadableFile(too_big(path.name, limits))
            if not wide and b"\0" in chunk:  # never in text; UTF-16 without its BOM has them
                raise UnreadableFile(f"{path.name}: NUL bytes: not a CSV text file "
                                     "(UTF-16 without a byte-order mark?)")
            yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


def text_encoding(path: Path, limits: ImportLimits) -> str:
    """The codec to read the file with, or UnreadableFile naming the encodings tried."""
    with path.open("rb") as raw:
        head = raw.read(4)
    marked = next((encoding for bom, encoding in _BOMS if head.startswith(bom)), None)
    problem: str | None = None
    for encoding in (marked,) if marked else ("utf-8", "gb18030"):
        check = _LooksChinese() if encoding == "gb18030" else None
        try:
            for text in _decoded(path, encoding, limits):
                if check:
                    check.feed(text)
        except UnicodeDecodeError as exc:
            problem = str(exc.reason)
        else:
            problem = check.verdict() if check else None
            if problem is None:
                return encoding
        if marked:
            label = _LABELS[encoding]
            raise UnreadableFile(f"{path.name}: starts with a {label} byte-order mark but is "
                                 f"not {label} text ({problem})")
    raise UnreadableFile(
        f"{path.name}: not text in UTF-8, UTF-16 with its byte-order mark, or GB18030/GBK "
        f"(tried UTF-8, then GB18030: {problem}); save it from Excel as \"CSV UTF-8\"")
